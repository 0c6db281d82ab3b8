// Imports (as background jobs), duplicates and merges, exports and the data
// quality report: the calls the Imports page makes.
import { request } from '../api';

export interface Problem { line: number; column: number; field: string; message: string }
export interface ImportReport {
  rows: number; created: number; updated: number; unchanged: number; rejected: number;
  problems: Problem[]; dry_run: boolean; written: boolean; possible_duplicates?: number;
}
export interface Job {
  id: number; kind: string; state: 'running' | 'done' | 'failed'; stage: string; progress: number;
  result?: ImportReport; error?: { type: string; field: string; detail: string };
}
export interface DupSide {
  id: number; kind: string; first_name: string | null; last_name: string | null; name: string | null;
  email: string | null; phone: string | null; birth_date: string | null; postal_code: string | null;
  city: string | null; orders_count: number;
}
export interface DupPair { a: DupSide; b: DupSide; score: number; reasons: string[]; status: string }
export interface Merge { id: number; survivor_id: number; duplicate_id: number; fields: Record<string, string>; moved: Record<string, number> }
export interface Completeness { customers: number; fields: Record<string, { filled: number; share: number }> }
export interface Quality {
  completeness: Record<string, Completeness>;
  invalid: { problem: string; count: number; sample_ids: number[] }[];
  stale: Record<string, number>;
  duplicates: { open_pairs: number; likely_pairs: number; last_scan: string | null };
  expired_sources: { customers: number; sources: { name: string; kind: string; customers: number }[] };
}

export type ImportKind = 'customers' | 'orders' | 'products' | 'interactions';

export async function startImport(body: { kind: ImportKind; csv: string; skip_bad: boolean; dry_run: boolean; currency?: string; source_name?: string }): Promise<number> {
  return (await request<{ id: number }>('POST', '/imports', { body })).data.id;
}
export async function job(id: number, signal?: AbortSignal): Promise<Job> {
  return (await request<Job>('GET', `/jobs/${id}`, { signal })).data;
}
export async function scan(): Promise<{ customers: number; pairs: number; seconds: number }> {
  return (await request<{ customers: number; pairs: number; seconds: number }>('POST', '/duplicates/scan', { body: {} })).data;
}
export async function pairs(): Promise<DupPair[]> {
  return (await request<{ items: DupPair[] }>('GET', '/duplicates?limit=50')).data.items;
}
export async function dismiss(a: number, b: number): Promise<void> {
  await request('POST', '/duplicates/dismiss', { body: { a, b } });
}
export async function merge(survivor: number, duplicate: number): Promise<Merge> {
  return (await request<Merge>('POST', `/customers/${survivor}/merge`, { body: { duplicate_id: duplicate } })).data;
}
export async function undo(mergeId: number): Promise<void> {
  await request('POST', `/merges/${mergeId}/undo`);
}
export async function quality(): Promise<Quality> {
  return (await request<Quality>('GET', '/quality')).data;
}

/** The file's text: UTF-8 when it is valid UTF-8, else Windows-1252 (Latin-1). */
export async function readText(file: File): Promise<string> {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** The rejected rows of text, with their line and reason first (a CSV). */
export function rejectedCsv(text: string, problems: Problem[]): string {
  const lines = text.split(/\r?\n/);
  const cell = (v: string) => {
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const out = [`line,reason,${lines[0] ?? ''}`];
  const seen = new Set<number>();
  for (const p of problems) {
    if (seen.has(p.line)) continue;
    seen.add(p.line);
    out.push(`${p.line},${cell(`${p.field ? `${p.field}: ` : ''}${p.message}`)},${lines[p.line - 1] ?? ''}`);
  }
  return out.join('\r\n') + '\r\n';
}
