// Loyalty programme and surveys: the calls the Loyalty page and the 360°
// panel make (REST under /api/v1/loyalty and /api/v1/surveys, see
// docs/guide.md).
import { request } from '../api';

export interface Rule { id: number; kind: string; category: string | null; rate: number; points: number; active: boolean }
export interface Tier { id: number; name: string; threshold: number; earn_bonus_pct: number; benefits: string | null }
export interface Reward { id: number; name: string; description: string | null; cost_points: number; stock: number | null; min_tier_id: number | null; active: boolean }
export interface Programme { rules: Rule[]; tiers: Tier[]; rewards: Reward[]; expiry_months: number; members: number }
export interface Member {
  customer_id: number;
  card_number: string;
  referral_code: string;
  referred_by: number | null;
  balance: number;
  tier_points: number;
  enrolled_at: string;
  tier: string | null;
  tier_benefits: string | null;
  next_tier: { name: string; threshold: number; points_needed: number } | null;
  expiring: { points: number; before: string };
}
export interface Entry { id: number; at: string; kind: string; points: number; balance_after: number; reason: string | null; order_id: number | null }
export interface Attitudes { satisfaction: number | null; nps: number | null; repurchase_intention: number | null; updated_at: string }
export interface Survey { id: number; name: string; kind: 'csat' | 'nps' | 'custom'; status: string; scale_max: number | null }

export async function programme(): Promise<Programme> {
  return (await request<Programme>('GET', '/loyalty/programme')).data;
}
export async function setExpiry(months: number): Promise<Programme> {
  return (await request<Programme>('PATCH', '/loyalty/programme', { body: { expiry_months: months } })).data;
}
export async function saveRule(id: number | null, body: Partial<Rule>): Promise<Rule> {
  return (await request<Rule>(id ? 'PATCH' : 'POST', id ? `/loyalty/rules/${id}` : '/loyalty/rules', { body })).data;
}
export async function saveTier(id: number | null, body: Partial<Tier>): Promise<Tier> {
  return (await request<Tier>(id ? 'PATCH' : 'POST', id ? `/loyalty/tiers/${id}` : '/loyalty/tiers', { body })).data;
}
export async function saveReward(id: number | null, body: Partial<Reward>): Promise<Reward> {
  return (await request<Reward>(id ? 'PATCH' : 'POST', id ? `/loyalty/rewards/${id}` : '/loyalty/rewards', { body })).data;
}
/** The member, or null when the customer has not joined. */
export async function member(customerId: number | string): Promise<Member | null> {
  return (await request<{ member: Member | null }>('GET', `/customers/${customerId}/loyalty`)).data.member;
}
export async function enrol(customerId: number | string, referralCode?: string): Promise<Member> {
  return (await request<Member>('POST', `/loyalty/members/${customerId}`, referralCode ? { body: { referral_code: referralCode } } : {})).data;
}
export async function ledger(customerId: number | string, limit = 5): Promise<Entry[]> {
  return (await request<{ items: Entry[] }>('GET', `/loyalty/members/${customerId}/ledger?limit=${limit}`)).data.items;
}
export async function redeem(customerId: number | string, rewardId: number, requestId: string): Promise<{ balance: number }> {
  return (await request<{ balance: number }>('POST', `/loyalty/members/${customerId}/redemptions`, { body: { reward_id: rewardId, request_id: requestId } })).data;
}
export async function rewards(): Promise<Reward[]> {
  return (await request<{ items: Reward[] }>('GET', '/loyalty/rewards')).data.items;
}
export async function attitudes(customerId: number | string): Promise<Attitudes | null> {
  return (await request<{ attitudes: Attitudes | null }>('GET', `/customers/${customerId}/surveys`)).data.attitudes;
}
export async function surveys(): Promise<Survey[]> {
  return (await request<{ items: Survey[] }>('GET', '/surveys')).data.items;
}
export async function results(id: number): Promise<{ responses: number; csat?: number | null; nps?: number | null; mean: number | null }> {
  return (await request<{ responses: number; csat?: number | null; nps?: number | null; mean: number | null }>('GET', `/surveys/${id}/results`)).data;
}
