// Telephony (CTI): the call-card stream, the new-caller link, follow-up
// tasks and click-to-call (REST under /api/v1/cti, see docs/guide.md
// "Telephony").
import { request } from '../api';

export interface Call {
  id: number;
  call_id: string;
  customer_id: number | null;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  agent: string | null;
  user_id: number | null;
  state: 'ringing' | 'answered' | 'ended';
  ringing_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  duration_s: number;
  outcome: string | null;
  task_id: number | null;
}

export interface CallCard {
  id: number;
  kind: string;
  display_name: string;
  lifecycle: string | null;
  email: string | null;
  phone: string | null;
  stats: { orders: number; revenue_minor: number; currency: string | null; last_order_at: string | null };
  scores?: {
    rfm?: { score: number } | null;
    quintile?: { segment?: string | null; label?: string | null } | null;
    abc?: { class?: string } | null;
  } | null;
  flags: ({ flag: string } | string)[];
  last_orders: { id: number; external_id: string | null; ordered_at: string; total_minor: number; currency: string; status: string }[];
  last_tickets: { id: number; subject: string; status: string; priority: string; created_at: string }[];
}

/** One message of the stream: the call's state and the caller's card. */
export interface CallMessage { state: Call['state']; call: Call; customer: CallCard | null }

export const CTI_STREAM = '/api/v1/cti/stream';

export async function ctiCard(customerId: number): Promise<CallCard> {
  return (await request<CallCard>('GET', `/cti/cards/${customerId}`)).data;
}

export async function ctiLink(callId: number, customerId: number): Promise<Call> {
  return (await request<Call>('POST', `/cti/calls/${callId}/customer`, { body: { customer_id: customerId } })).data;
}

export async function ctiFollowup(callId: number, body: { title: string; due_at?: string; notes?: string }): Promise<{ id: number }> {
  return (await request<{ id: number }>('POST', `/cti/calls/${callId}/followup`, { body })).data;
}

export interface Originate { requested: boolean; to: string; tel: string }

export async function ctiOriginate(number: string, customerId?: number): Promise<Originate> {
  return (await request<Originate>('POST', '/cti/originate', { body: { number, customer_id: customerId ?? null } })).data;
}

/** The new-caller form: a person with the caller's number. */
export async function ctiNewCaller(body: { first_name: string; last_name: string; email?: string; phone: string }): Promise<{ id: number }> {
  return (await request<{ id: number }>('POST', '/customers', { body: { kind: 'person', ...body } })).data;
}

export interface CtiSettings { secret_set: boolean; originate_url: string; originate_secret_set: boolean; window_seconds: number }

export async function ctiSettings(): Promise<CtiSettings> {
  return (await request<CtiSettings>('GET', '/cti/settings')).data;
}

export async function saveCtiSettings(body: { secret?: string; originate_url?: string; originate_secret?: string }): Promise<CtiSettings> {
  return (await request<CtiSettings>('PUT', '/cti/settings', { body })).data;
}
