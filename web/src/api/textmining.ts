// Text mining: the calls of the service desk's text-mining panel (REST under
// /api/v1/textmining, see docs/guide.md "Text mining").
import { request } from '../api';

export interface Term { term: string; label: string; count: number; docs: number; tfidf: number }
export interface Terms { from: string; to: string; source: string; documents: number; words: number; terms: Term[]; phrases: Term[] }
export interface Topic { term: string; label: string; words: number; count: number; previous: number; share: number; previous_share: number; lift: number }
export interface Emerging { from: string; to: string; previous: { from: string; to: string; words: number }; words: number; topics: Topic[] }
export interface LowWord { term: string; label: string; docs: number; low: number; mean: number; diff: number; log_odds: number }
export interface Satisfaction { from: string; to: string; overall: { documents: number; mean: number | null; low: number }; terms: LowWord[] }
export interface Job { id: number; state: 'running' | 'done' | 'failed'; stage: string; progress: number; error?: { detail?: string } | null }

export interface Scope { source: string; period: string; limit?: number }

function query(s: Scope): string {
  const p = new URLSearchParams({ source: s.source, period: s.period, limit: String(s.limit ?? 10) });
  return `?${p.toString()}`;
}

export async function terms(s: Scope): Promise<Terms> {
  return (await request<Terms>('GET', `/textmining/terms${query(s)}`)).data;
}
export async function emerging(s: Scope): Promise<Emerging> {
  return (await request<Emerging>('GET', `/textmining/emerging${query(s)}`)).data;
}
export async function satisfaction(s: Scope): Promise<Satisfaction> {
  return (await request<Satisfaction>('GET', `/textmining/satisfaction${query(s)}`)).data;
}
/** Starts a refresh of the index; the job's id to poll with job(). */
export async function refresh(): Promise<number> {
  return (await request<{ id: number }>('POST', '/textmining/refresh', { body: {} })).data.id;
}
export async function job(id: number): Promise<Job> {
  return (await request<Job>('GET', `/jobs/${id}`)).data;
}
