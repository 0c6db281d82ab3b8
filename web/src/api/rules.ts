// Rules and journeys: the calls the Rules page makes (REST under /api/v1, see
// docs/rules.md).
import { request } from '../api';

export interface Rule {
  id: number;
  template: string | null;
  name: string;
  description: string | null;
  enabled: boolean;
  definition: Record<string, unknown>;
  trigger_event: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  stats: { runs: number; firings: number; last_fired_at: string | null };
  webhook_secret?: string;
}

export interface Firing {
  id: number;
  run_id: number;
  rule_id: number;
  rule: string;
  customer_id: number;
  step: number;
  action: string;
  status: 'done' | 'failed' | 'stopped' | 'cut';
  detail: string | null;
  at: string;
  run: { status: string; due_at: string | null; window: string };
}

export async function list(): Promise<Rule[]> {
  return (await request<{ items: Rule[] }>('GET', '/rules')).data.items;
}

export async function setEnabled(id: number, on: boolean): Promise<Rule> {
  return (await request<Rule>('POST', `/rules/${id}/${on ? 'enable' : 'disable'}`)).data;
}

export async function update(id: number, body: Partial<{ name: string; description: string; definition: unknown }>): Promise<Rule> {
  return (await request<Rule>('PATCH', `/rules/${id}`, { body })).data;
}

export async function firings(id: number, limit = 50): Promise<Firing[]> {
  return (await request<{ items: Firing[] }>('GET', `/rules/${id}/firings?limit=${limit}`)).data.items;
}
