// Service desk and knowledge base: the calls the ServiceDesk and Knowledge
// pages make (REST under /api/v1, see docs/guide.md "Service desk").
import { request } from '../api';

export type TicketStatus = 'new' | 'open' | 'waiting' | 'resolved' | 'closed';

export interface TicketMessage {
  id: number;
  at: string;
  direction: 'inbound' | 'outbound';
  internal: boolean;
  author_id: number | null;
  author_name: string | null;
  body: string;
  delivery: 'none' | 'sent' | 'failed';
  delivery_error: string | null;
  email_message_id: string | null;
}

export interface Ticket {
  id: number;
  customer_id: number;
  customer_name: string | null;
  kind: string;
  channel: string;
  priority: string;
  status: TicketStatus;
  subject: string;
  team_id: number | null;
  team_name: string | null;
  assignee_id: number | null;
  assignee_name: string | null;
  email_from: string | null;
  created_at: string;
  updated_at: string;
  first_response_at: string | null;
  resolved_at: string | null;
  first_response_due_at: string | null;
  resolution_due_at: string | null;
  next_due_at: string | null;
  paused: boolean;
  first_response_breached: boolean;
  resolution_breached: boolean;
  escalated: boolean;
  messages?: TicketMessage[];
}

export interface Article {
  id: number;
  title: string;
  body?: string;
  excerpt?: string;
  lang: 'fr' | 'en';
  category_id: number | null;
  category: string | null;
  visibility: 'internal' | 'public';
  status: 'draft' | 'published';
  helpful: number;
  not_helpful: number;
  updated_at: string;
}

export interface Category { id: number; name: string; articles: number }

interface Items<T> { items: T[]; next_cursor?: string | null }

function qs(params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export async function tickets(f: { status?: string; mine?: boolean; breached?: boolean; cursor?: string }): Promise<Items<Ticket>> {
  return (await request<Items<Ticket>>('GET', `/tickets${qs({ status: f.status, mine: f.mine ? 1 : undefined, breached: f.breached ? 1 : undefined, cursor: f.cursor, limit: 100 })}`)).data;
}
export async function ticket(id: number | string): Promise<Ticket> {
  return (await request<Ticket>('GET', `/tickets/${id}`)).data;
}
export async function createTicket(body: Record<string, unknown>): Promise<Ticket> {
  return (await request<Ticket>('POST', '/tickets', { body })).data;
}
export async function updateTicket(id: number, body: Record<string, unknown>): Promise<Ticket> {
  return (await request<Ticket>('PATCH', `/tickets/${id}`, { body })).data;
}
export async function reply(id: number, body: { body: string; internal?: boolean; status?: string }): Promise<Ticket> {
  return (await request<Ticket>('POST', `/tickets/${id}/messages`, { body })).data;
}
export async function suggestions(id: number): Promise<Article[]> {
  return (await request<Items<Article>>('GET', `/tickets/${id}/suggestions`)).data.items;
}

export async function kbSearch(q: string, lang?: string): Promise<Article[]> {
  return (await request<Items<Article>>('GET', `/kb/search${qs({ q, lang })}`)).data.items;
}
export async function kbList(lang?: string): Promise<Article[]> {
  return (await request<Items<Article>>('GET', `/kb/articles${qs({ lang, limit: 200 })}`)).data.items;
}
export async function kbGet(id: number): Promise<Article> {
  return (await request<Article>('GET', `/kb/articles/${id}`)).data;
}
export async function kbSave(id: number | null, body: Record<string, unknown>): Promise<Article> {
  return (await request<Article>(id ? 'PATCH' : 'POST', id ? `/kb/articles/${id}` : '/kb/articles', { body })).data;
}
export async function kbVote(id: number, helpful: boolean): Promise<Article> {
  return (await request<Article>('POST', `/kb/articles/${id}/votes`, { body: { helpful } })).data;
}
export async function kbCategories(): Promise<Category[]> {
  return (await request<Items<Category>>('GET', '/kb/categories')).data.items;
}
