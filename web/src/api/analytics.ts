// Analytics: the calls the dashboard and the 360° view make (REST under
// /api/v1/analytics and /api/v1/customers/{id}/recommendations, see the
// "KPIs, cohorts and data mining" section of docs/guide.md).
import { isAbort, request } from '../api';

export interface AbcSummary {
  summary: { customers: number; curve: [number, number][]; classes: Record<'A' | 'B' | 'C', { customers: number; customer_share: number; revenue_share: number }> };
}
export interface RfmSummary {
  summary: { customers: number; segments: { name: string | null; label: string | null; customers: number; share: number; monetary_minor: number }[] };
}
export type Quadrant = 'true_friends' | 'butterflies' | 'barnacles' | 'strangers';
export interface MatrixSummary {
  summary: { customers: number; quadrants: Record<Quadrant, { customers: number; customer_share: number; revenue_share: number; revenue_minor: number }> };
}
export interface Cohorts {
  as_of: string;
  cohorts: { month: string; size: number; active: number[]; retention: (number | null)[] }[];
}
export interface Recommendation { id: number; sku: string; name: string; category: string | null; price_minor: number | null; currency: string | null; score: number }
export interface Recommendations { basis: string; products: Recommendation[] }

/** A summary document, or null when the server cannot give one (no data). */
async function optional<T>(path: string, signal?: AbortSignal): Promise<T | null> {
  try {
    return (await request<T>('GET', path, { signal })).data;
  } catch (e) {
    if (isAbort(e)) throw e;
    return null;
  }
}

export const abc = (signal?: AbortSignal) => optional<AbcSummary>('/analytics/abc?summary=only', signal);
export const rfm = (signal?: AbortSignal) => optional<RfmSummary>('/analytics/rfm?summary=only', signal);
export const matrix = (signal?: AbortSignal) => optional<MatrixSummary>('/analytics/matrix?summary=only', signal);
export const cohorts = (signal?: AbortSignal) => optional<Cohorts>('/analytics/cohorts?months=12', signal);
export const recommendations = (id: string | number, signal?: AbortSignal) =>
  optional<Recommendations>(`/customers/${id}/recommendations?limit=5`, signal);
