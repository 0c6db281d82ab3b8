// Shapes of the JSON the server sends (see /api/v1/openapi.json). Every field
// the server may omit is optional, so the views cope with partial records.

export type Role = 'admin' | 'manager' | 'sales' | 'support' | 'marketing' | 'analyst';

export interface User {
  id: string | number;
  email: string;
  name?: string | null;
  role: Role | string;
}

export interface Session {
  user: User;
  csrf_token?: string;
}

export type Kind = 'person' | 'organization' | 'guest';
export type Lifecycle = 'prospect' | 'new' | 'active' | 'inactive' | 'former';

export interface Email { email: string; label?: string | null; primary?: boolean }
export interface Phone { phone: string; label?: string | null; primary?: boolean }
export interface Address {
  label?: string | null;
  line1?: string | null;
  line2?: string | null;
  postal_code?: string | null;
  city?: string | null;
  region?: string | null;
  country?: string | null;
}
export interface Source { kind?: string | null; name?: string | null; terms?: string | null; expires_at?: string | null }
export interface Stats {
  orders?: number;
  revenue_minor?: number;
  currency?: string | null;
  first_order_at?: string | null;
  last_order_at?: string | null;
}
export interface Flag { flag: string; reason?: string | null; at?: string | null }
export interface Consent {
  channel: string;
  purpose: string;
  granted: boolean;
  at?: string | null;
  legal_basis?: string | null;
  source?: string | null;
}
export interface Preferences {
  preferred_channel?: string | null;
  quiet_hours_start?: string | null;
  quiet_hours_end?: string | null;
  callback_requested_at?: string | null;
  language?: string | null;
}

export interface Relation {
  related_id: string | number;
  kind: 'household' | 'referral' | 'employee_of' | 'contact_of' | string;
  /** 'to': this customer → the related one (employee_of: works for it); 'from': the reverse. */
  direction: 'to' | 'from' | string;
  display_name?: string | null;
}

export type FieldGroup = 'identity' | 'contact' | 'socio' | 'company' | 'preferences';

export interface Customer {
  id: string | number;
  kind: Kind | string;
  display_name?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  emails?: Email[];
  phones?: Phone[];
  addresses?: Address[];
  /** In list rows the primary address comes flattened. */
  city?: string | null;
  postal_code?: string | null;
  country?: string | null;
  birth_date?: string | null;
  sex?: string | null;
  occupation?: string | null;
  income_band?: string | null;
  housing?: string | null;
  company_revenue_minor?: number | null;
  naf_code?: string | null;
  headcount?: number | null;
  tags?: string[];
  interests?: string[];
  owner_id?: string | number | null;
  team?: string | null;
  custom?: Record<string, unknown> | null;
  source?: Source | null;
  lifecycle?: Lifecycle | string | null;
  stats?: Stats | null;
  flags?: Flag[];
  consents?: Consent[];
  preferences?: Preferences | null;
  relations?: Relation[];
  /** When each group of fields was last updated (data freshness). */
  field_updated_at?: Partial<Record<FieldGroup, string | null>> | null;
  external_id?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  version?: number;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface TimelineItem {
  kind: string;
  id: string | number;
  at: string;
  channel?: string | null;
  direction?: string | null;
  title?: string | null;
  detail?: string | null;
  outcome?: string | null;
  offer?: string | null;
  amount_minor?: number | null;
  currency?: string | null;
}

export const CHANNELS = ['web', 'email', 'phone', 'sms', 'mail', 'store', 'call_center', 'chat', 'social'] as const;
export type Channel = (typeof CHANNELS)[number];
export const DIRECTIONS = ['inbound', 'outbound'] as const;
export const OUTCOMES = [
  'completed', 'no_answer', 'voicemail', 'callback_requested', 'information_given',
  'interested', 'offer_accepted', 'offer_refused', 'complaint', 'not_interested',
] as const;
/** Outcomes that name an offer. */
export const OFFER_OUTCOMES: readonly string[] = ['interested', 'offer_accepted', 'offer_refused'];

/** The server's interaction kind for a channel (it defaults to "note"). */
export const KIND_BY_CHANNEL: Record<string, string> = {
  phone: 'call', call_center: 'call', email: 'email', sms: 'sms', mail: 'letter', chat: 'chat', store: 'visit',
};
export const KINDS = ['person', 'organization', 'guest'] as const;
export const LIFECYCLES = ['prospect', 'new', 'active', 'inactive', 'former'] as const;

export interface NewInteraction {
  customer_id: string | number;
  channel: Channel;
  direction: 'inbound' | 'outbound';
  subject: string;
  body: string;
  kind?: string;
  outcome?: string;
  offer?: string;
  at?: string;
}

export interface KpiPoint {
  month: string;
  revenue_minor?: number;
  active?: number;
  new?: number;
  lost?: number;
  [k: string]: unknown;
}
export interface Kpis {
  currency?: string;
  series: KpiPoint[];
}
