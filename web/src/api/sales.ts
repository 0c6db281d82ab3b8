// Sales pipeline, forecast and tasks: the calls the Pipeline and Tasks pages
// make (REST under /api/v1, see docs/guide.md "Sales pipeline").
import { request } from '../api';

export interface Stage {
  id: number;
  position: number;
  name: string;
  probability: number;
  kind: 'open' | 'won' | 'lost';
  count?: number;
  amount_minor?: number;
  weighted_minor?: number;
  deals?: Deal[];
}

export interface Pipeline {
  id: number;
  name: string;
  currency: string;
  is_default: boolean;
  stages: Stage[];
}

export interface HistoryRow {
  id: number;
  at: string;
  from_stage: string | null;
  to_stage: string;
  amount_minor: number;
  probability: number;
  reason: string | null;
}

export interface Deal {
  id: number;
  customer_id: number;
  customer_name: string | null;
  pipeline_id: number;
  stage_id: number;
  stage: string;
  stage_kind: 'open' | 'won' | 'lost';
  title: string;
  amount_minor: number;
  currency: string;
  probability: number;
  weighted_minor: number;
  expected_close: string | null;
  owner_id: number | null;
  owner_email: string | null;
  team: string | null;
  source: string | null;
  status: 'open' | 'won' | 'lost';
  close_reason: string | null;
  closed_at: string | null;
  created_at: string;
  version: number;
  products?: { product_id: number; sku: string; name: string; quantity: number; unit_price_minor: number }[];
  history?: HistoryRow[];
}

export interface ForecastMonth {
  month: string;
  won_minor: number;
  pipeline_minor: number;
  weighted_minor: number;
  forecast_minor: number;
  objective_minor: number | null;
  won_deals: number;
  open_deals: number;
}

export interface Forecast {
  period: string;
  currency: string;
  months: ForecastMonth[];
  total: {
    won_minor: number;
    pipeline_minor: number;
    weighted_minor: number;
    forecast_minor: number;
    objective_minor: number | null;
    attainment: number | null;
    forecast_attainment: number | null;
    gap_minor: number | null;
    open_deals: number;
    won_deals: number;
  };
}

export interface Task {
  id: number;
  customer_id: number | null;
  customer_name: string | null;
  deal_id: number | null;
  deal_title: string | null;
  ticket_id: number | null;
  kind: 'call' | 'meeting' | 'email' | 'todo';
  title: string;
  notes: string | null;
  due_at: string | null;
  remind_at: string | null;
  assignee_id: number | null;
  assignee_email: string | null;
  team: string | null;
  status: 'open' | 'done' | 'cancelled';
  done_at: string | null;
  overdue: boolean;
}

export interface Page<T> { items: T[]; next_cursor: string | null }

function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export async function pipelines(signal?: AbortSignal): Promise<Pipeline[]> {
  const { data } = await request<{ items: Pipeline[] }>('GET', '/pipelines', { signal });
  return data?.items ?? [];
}

export async function board(id: number, signal?: AbortSignal): Promise<Pipeline> {
  const { data } = await request<Pipeline>('GET', `/pipelines/${id}/board?per_stage=100`, { signal });
  return data;
}

export async function deal(id: string | number, signal?: AbortSignal): Promise<Deal> {
  const { data } = await request<Deal>('GET', `/deals/${id}`, { signal });
  return data;
}

export async function createDeal(body: Record<string, unknown>): Promise<Deal> {
  const { data } = await request<Deal>('POST', '/deals', { body });
  return data;
}

export async function moveDeal(id: number, stageId: number, reason?: string): Promise<Deal> {
  const { data } = await request<Deal>('POST', `/deals/${id}/stage`, { body: reason ? { stage_id: stageId, reason } : { stage_id: stageId } });
  return data;
}

export async function forecast(period: string, scope: { owner_id?: string; team?: string } = {}, signal?: AbortSignal): Promise<Forecast> {
  const { data } = await request<Forecast>('GET', `/forecast${qs({ period, ...scope })}`, { signal });
  return data;
}

export async function tasks(query: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<Page<Task>> {
  const { data } = await request<Page<Task>>('GET', `/tasks${qs({ limit: 100, ...query })}`, { signal });
  return { items: data?.items ?? [], next_cursor: data?.next_cursor ?? null };
}

export async function createTask(body: Record<string, unknown>): Promise<Task> {
  const { data } = await request<Task>('POST', '/tasks', { body });
  return data;
}

export async function updateTask(id: number, body: Record<string, unknown>): Promise<Task> {
  const { data } = await request<Task>('PATCH', `/tasks/${id}`, { body });
  return data;
}

export async function calendarFeed(): Promise<{ token: string; url: string }> {
  const { data } = await request<{ token: string; url: string }>('POST', '/calendar/feed');
  return data;
}

export interface SalesReport {
  from: string;
  to: string;
  won_deals: number;
  lost_deals: number;
  won_minor: number;
  win_rate: number | null;
  avg_cycle_days: number | null;
  by_stage: { pipeline_id: number; stage_id: number; stage: string; currency: string; count: number; amount_minor: number; weighted_minor: number }[];
  by_owner: { owner_id: number | null; owner_email: string | null; currency: string; open_deals: number; pipeline_minor: number; weighted_minor: number; won_deals: number; won_minor: number; lost_deals: number }[];
  activity: { user_id: number; email: string; calls: number; meetings: number; emails: number; todos: number; tasks_done: number; tasks_open_overdue: number; interactions: number }[];
}

export async function salesReport(from: string, to: string, signal?: AbortSignal): Promise<SalesReport> {
  const { data } = await request<SalesReport>('GET', `/reports/sales${qs({ from, to })}`, { signal });
  return data;
}

export interface Lead {
  customer_id: number;
  customer_name: string | null;
  status: 'new' | 'contacted' | 'qualified' | 'disqualified' | 'converted';
  reason: string | null;
  fit: number;
  behaviour: number;
  score: number;
  deal_id: number | null;
}

export async function leads(status: string | undefined, signal?: AbortSignal): Promise<Page<Lead>> {
  const { data } = await request<Page<Lead>>('GET', `/leads${qs({ status, limit: 200 })}`, { signal });
  return { items: data?.items ?? [], next_cursor: data?.next_cursor ?? null };
}

export async function rescoreLeads(): Promise<number> {
  const { data } = await request<{ rescored: number }>('POST', '/leads/rescore');
  return data?.rescored ?? 0;
}

export async function setLeadStatus(customerId: number, status: string, reason?: string): Promise<Lead> {
  const { data } = await request<Lead>('POST', `/customers/${customerId}/lead`, { body: reason ? { status, reason } : { status } });
  return data;
}

export async function convertLead(customerId: number, body: Record<string, unknown>): Promise<Lead & { deal: Deal }> {
  const { data } = await request<Lead & { deal: Deal }>('POST', `/customers/${customerId}/convert`, { body });
  return data;
}
