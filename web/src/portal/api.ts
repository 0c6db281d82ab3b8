// The customer portal's client: /portal/v1/, its own session cookie
// (relatio_portal) and CSRF token, apart from the staff API.
import { ApiError, type FieldError } from '../api';

const BASE = '/portal/v1';
let csrf: string | null = null;

export interface PortalCustomer {
  id: number;
  first_name?: string | null;
  last_name?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  language?: string | null;
  preferred_channel?: string | null;
  interests?: string[];
  callback_requested_at?: string | null;
}
export interface Signed { customer: PortalCustomer; csrf_token: string }
export interface Consent { id: number; at: string; channel: string; purpose: string; granted: boolean }
export interface Order { id: number; external_id?: string | null; ordered_at: string; status: string; total_minor: number; currency: string }
export interface Ticket { id: number; subject: string; status: string; kind: string; created_at?: string; messages?: { id: number; at: string; direction: string; body: string }[] }
export interface Loyalty { member: null | { balance?: number; tier?: string | null; referral_code?: string; card?: string }; ledger: { id: number; at: string; points: number; kind: string; reason?: string | null }[] }

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let res: Response;
  try {
    res = await fetch(BASE + path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { title: 'network', detail: '' });
  }
  const text = res.status === 204 ? '' : await res.text();
  let data: unknown = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const p = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
    throw new ApiError(res.status, {
      title: typeof p.title === 'string' ? p.title : res.statusText,
      detail: typeof p.detail === 'string' ? p.detail : '',
      errors: Array.isArray(p.errors) ? (p.errors as FieldError[]) : [],
    });
  }
  const d = data as { csrf_token?: string } | null;
  if (d && typeof d.csrf_token === 'string') csrf = d.csrf_token;
  return data as T;
}

export const me = async (): Promise<Signed | null> => {
  try {
    return await call<Signed>('GET', '/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
};
export const askLink = (email: string) => call<unknown>('POST', '/auth/link', { email });
export const redeem = (token: string) => call<Signed>('POST', '/auth/redeem', { token });
export const login = (email: string, password: string) => call<Signed>('POST', '/auth/login', { email, password });
export const logout = async () => { await call<null>('POST', '/auth/logout'); csrf = null; };
export const updateMe = (patch: Partial<PortalCustomer>) => call<PortalCustomer>('PATCH', '/me', patch);
export const setPassword = (password: string) => call<null>('POST', '/me/password', { password });
export const callback = (note: string) => call<PortalCustomer>('POST', '/me/callback', note ? { note } : {});
export const consents = () => call<{ items: Consent[] } | Consent[]>('GET', '/consents');
export const consent = (channel: string, purpose: string, granted: boolean) => call<Consent>('POST', '/consents', { channel, purpose, granted });
export const orders = () => call<{ items: Order[] }>('GET', '/orders');
export const loyalty = () => call<Loyalty>('GET', '/loyalty');
export const tickets = () => call<{ items: Ticket[] }>('GET', '/tickets');
export const ticket = (id: number) => call<Ticket>('GET', `/tickets/${id}`);
export const openTicket = (subject: string, body: string) => call<Ticket>('POST', '/tickets', { kind: 'assistance', subject, body });
export const reply = (id: number, body: string) => call<Ticket>('POST', `/tickets/${id}/replies`, { body });
export const offers = () => call<{ content: Record<string, { title?: string; text?: string; url?: string }> }>('GET', '/offers');
export const kb = (q: string) => call<{ items: { id: number; title: string; excerpt?: string }[] }>('GET', `/kb?q=${encodeURIComponent(q)}`);
export const exportData = () => call<unknown>('GET', '/export');
export const erasure = (note: string) => call<{ id: number; status: string }>('POST', '/erasure', note ? { note } : {});
