// Segments and targeting groups: the calls the Segments page makes (REST
// under /api/v1, see docs/segments.md).
import { request } from '../api';

export interface Segment {
  id: number;
  name: string;
  description: string | null;
  kind: 'dynamic' | 'static';
  expr: string | null;
  group: string | null;
  member_count: number;
  evaluated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SegmentField {
  name: string;
  type: 'number' | 'text' | 'date' | 'list' | 'flag';
  values?: string[];
  doc?: string;
}

export interface TargetingGroup {
  key: string;
  segment_id: number;
  name: string;
  description: string;
  expr: string | null;
  kind: 'group' | 'matrix';
  count?: number;
  revenue?: number;
  error?: string;
}

export interface Member {
  id: number;
  kind: string;
  display_name: string;
  email: string | null;
  city: string | null;
  country: string | null;
  lifecycle: string;
  orders_count: number;
  revenue_minor: number;
  last_order_at: string | null;
}

export async function count(expr: string, signal?: AbortSignal): Promise<number> {
  return (await request<{ count: number }>('POST', '/segments/count', { body: { expr }, signal })).data.count;
}

export async function list(): Promise<Segment[]> {
  return (await request<{ items: Segment[] }>('GET', '/segments')).data.items;
}

export async function fields(): Promise<SegmentField[]> {
  return (await request<{ fields: SegmentField[] }>('GET', '/segments/fields')).data.fields;
}

export async function create(body: { name: string; expr: string; description?: string; kind?: 'dynamic' | 'static' }): Promise<Segment> {
  return (await request<Segment>('POST', '/segments', { body })).data;
}

export async function update(id: number, body: Partial<{ name: string; expr: string; description: string }>): Promise<Segment> {
  return (await request<Segment>('PATCH', `/segments/${id}`, { body })).data;
}

export async function remove(id: number): Promise<void> {
  await request<null>('DELETE', `/segments/${id}`);
}

export async function members(id: number, cursor?: number, limit = 50): Promise<{ items: Member[]; total: number; next_cursor: number | null }> {
  const q = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
  return (await request<{ items: Member[]; total: number; next_cursor: number | null }>('GET', `/segments/${id}/members${q}`)).data;
}

export async function groups(): Promise<{ groups: TargetingGroup[]; matrix: unknown }> {
  return (await request<{ groups: TargetingGroup[]; matrix: unknown }>('GET', '/targeting/groups')).data;
}
