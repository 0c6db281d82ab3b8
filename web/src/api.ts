// The one place that talks to the server: JSON in and out, the session
// cookie (same-origin), the CSRF header on every unsafe method, and RFC 9457
// problem details turned into ApiError.
import type { Customer, Kpis, NewInteraction, Page, Session, TimelineItem } from './types';

export const API = '/api/v1';

export interface FieldError { field: string; message: string }

/** An error answer from the server (or no answer: status 0). */
export class ApiError extends Error {
  status: number;
  title: string;
  detail: string;
  type: string;
  errors: FieldError[];
  constructor(status: number, problem: Partial<{ type: string; title: string; detail: string; errors: FieldError[] }>) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.title = problem.title ?? '';
    this.detail = problem.detail ?? '';
    this.type = problem.type ?? 'about:blank';
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
  /** The message for one field, if the server named it. */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.field === name)?.message;
  }
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = token ?? null;
}
/** Called when a request made inside a session answers 401 (expired). */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Do not call the unauthorized handler on 401 (login, me). */
  quiet401?: boolean;
}

export interface Answer<T> { data: T; status: number; headers: Headers }

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...opts.headers };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(API + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (e) {
    if (isAbort(e)) throw e;
    throw new ApiError(0, { title: 'network', detail: '' });
  }
  const text = res.status === 204 ? '' : await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401 && onUnauthorized) onUnauthorized();
    const p = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
    throw new ApiError(res.status, {
      type: typeof p.type === 'string' ? p.type : undefined,
      title: typeof p.title === 'string' ? p.title : res.statusText,
      detail: typeof p.detail === 'string' ? p.detail : '',
      errors: Array.isArray(p.errors) ? (p.errors as FieldError[]) : [],
    });
  }
  return { data: data as T, status: res.status, headers: res.headers };
}

function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

// ---- auth -------------------------------------------------------------

export async function login(email: string, password: string): Promise<Session> {
  const { data } = await request<Session>('POST', '/auth/login', { body: { email, password }, quiet401: true });
  setCsrfToken(data.csrf_token);
  return data;
}

/** The current session, or null when signed out. */
export async function me(): Promise<Session | null> {
  try {
    const { data } = await request<Session>('GET', '/auth/me', { quiet401: true });
    if (data.csrf_token) setCsrfToken(data.csrf_token);
    return data;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function logout(): Promise<void> {
  try {
    await request<null>('POST', '/auth/logout', { quiet401: true });
  } finally {
    setCsrfToken(null);
  }
}

// ---- customers ----------------------------------------------------------

export interface CustomerQuery {
  q?: string;
  kind?: string;
  lifecycle?: string;
  country?: string;
  limit?: number;
  cursor?: string | null;
}

export async function listCustomers(query: CustomerQuery, signal?: AbortSignal): Promise<Page<Customer>> {
  const { data } = await request<Page<Customer>>('GET', `/customers${qs({ limit: 50, ...query })}`, { signal });
  return { items: data?.items ?? [], next_cursor: data?.next_cursor ?? null };
}

export async function getCustomer(id: string, signal?: AbortSignal): Promise<{ customer: Customer; etag: string | null }> {
  const { data, headers } = await request<Customer>('GET', `/customers/${encodeURIComponent(id)}`, { signal });
  return { customer: data, etag: headers.get('ETag') };
}

export async function patchCustomer(id: string, etag: string | null, patch: Partial<Customer>): Promise<Customer> {
  const headers: Record<string, string> = {};
  if (etag) headers['If-Match'] = etag;
  const { data } = await request<Customer>('PATCH', `/customers/${encodeURIComponent(id)}`, { body: patch, headers });
  return data;
}

export async function timeline(
  id: string,
  opts: { channel?: string; cursor?: string | null; limit?: number },
  signal?: AbortSignal,
): Promise<Page<TimelineItem>> {
  const { data } = await request<Page<TimelineItem>>(
    'GET',
    `/customers/${encodeURIComponent(id)}/timeline${qs({ limit: opts.limit ?? 20, cursor: opts.cursor, channel: opts.channel })}`,
    { signal },
  );
  return { items: data?.items ?? [], next_cursor: data?.next_cursor ?? null };
}

export async function createInteraction(body: NewInteraction): Promise<unknown> {
  const { data } = await request<unknown>('POST', '/interactions', { body });
  return data;
}

// ---- analytics ----------------------------------------------------------

/** KPIs by month, or null while the server has no such endpoint. */
export async function kpis(signal?: AbortSignal): Promise<Kpis | null> {
  try {
    const { data } = await request<Kpis>('GET', '/analytics/kpis', { signal });
    return data && Array.isArray(data.series) ? data : null;
  } catch (e) {
    if (e instanceof ApiError && e.status !== 401) return null;
    throw e;
  }
}
