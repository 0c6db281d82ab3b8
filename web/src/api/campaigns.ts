// Campaigns: the calls the Campaigns page makes (REST under /api/v1, see the
// "Campaigns" section of docs/guide.md).
import { request } from '../api';

export type Channel = 'email' | 'sms' | 'mail' | 'phone';

export interface Campaign {
  id: number;
  name: string;
  channel: Channel;
  purpose: string;
  offer: string | null;
  segment_id?: number | null;
  newsletter_id?: number | null;
  customer_ids?: number[] | null;
  subject_fr?: string | null;
  subject_en?: string | null;
  body_fr?: string | null;
  body_en?: string | null;
  html_fr?: string | null;
  html_en?: string | null;
  landing_url?: string | null;
  status: 'draft' | 'scheduled' | 'sending' | 'sent' | 'cancelled';
  scheduled_at: string | null;
  control_pct?: number;
  launched_at: string | null;
  created_at: string;
}

export interface Preview {
  audience: number;
  unknown_ids: number;
  excluded: number;
  excluded_by_reason: Record<string, number>;
  control: number;
  queued: number;
  samples: { customer_id: number; to: string; subject: string | null; body: string; html: string | null }[];
}

export interface Results {
  status: string;
  currency: string;
  audience: number;
  excluded: number;
  excluded_by_reason: Record<string, number>;
  treated: number;
  control: number;
  messages: Record<string, number>;
  delivered: number;
  opened: number;
  clicked: number;
  converted: number;
  control_converted: number;
  revenue_minor: number;
  control_revenue_minor: number;
  conversion_rate: number;
  control_conversion_rate: number;
  uplift: number | null;
  uplift_relative: number | null;
  incremental_revenue_minor: number;
  cost_minor: number;
  roi: number | null;
}

export type Draft = Partial<Omit<Campaign, 'id' | 'status' | 'launched_at' | 'created_at'>> & { cost_minor?: number; cost_per_message_minor?: number };

export async function list(): Promise<Campaign[]> {
  return (await request<{ items: Campaign[] }>('GET', '/campaigns?limit=100')).data.items;
}

export async function get(id: number): Promise<Campaign> {
  return (await request<Campaign>('GET', `/campaigns/${id}`)).data;
}

export async function create(body: Draft): Promise<Campaign> {
  return (await request<Campaign>('POST', '/campaigns', { body })).data;
}

export async function preview(id: number): Promise<Preview> {
  return (await request<Preview>('POST', `/campaigns/${id}/preview`)).data;
}

export async function testSend(id: number, to: string): Promise<void> {
  await request('POST', `/campaigns/${id}/test`, { body: { to } });
}

export async function launch(id: number): Promise<Campaign & { launch?: Preview }> {
  return (await request<Campaign & { launch?: Preview }>('POST', `/campaigns/${id}/launch`)).data;
}

export async function results(id: number): Promise<Results> {
  return (await request<Results>('GET', `/campaigns/${id}/results`)).data;
}
