import type { Customer } from './types';

/** The name to show for a customer, whatever fields it has. */
export function displayName(c: Pick<Customer, 'id' | 'display_name' | 'name' | 'first_name' | 'last_name' | 'email'>): string {
  if (c.display_name) return c.display_name;
  if (c.name) return c.name;
  const full = [c.first_name, c.last_name].filter(Boolean).join(' ');
  if (full) return full;
  if (c.email) return c.email;
  return `#${c.id}`;
}

export function primaryEmail(c: Customer): string | null {
  return c.email || c.emails?.find((e) => e.primary)?.email || c.emails?.[0]?.email || null;
}

export function primaryPhone(c: Customer): string | null {
  return c.phone || c.phones?.find((p) => p.primary)?.phone || c.phones?.[0]?.phone || null;
}
