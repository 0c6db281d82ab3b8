// Settings: users and roles, the analytics settings (RFM grid, ABC, CLV),
// SLA policies and calendars, and the channel settings of campaigns.
import { request } from '../api';

export type Role = 'admin' | 'manager' | 'sales' | 'support' | 'marketing' | 'analyst';
export const ROLES: Role[] = ['admin', 'manager', 'sales', 'support', 'marketing', 'analyst'];
export interface User { id: number; email: string; name: string; role: Role; team: string | null; active: boolean; created_at: string }

export async function users(): Promise<User[]> {
  return (await request<{ items: User[] }>('GET', '/users')).data.items;
}
export async function createUser(body: { email: string; name: string; role: Role; password: string; team?: string | null }): Promise<User> {
  return (await request<User>('POST', '/users', { body })).data;
}
export async function updateUser(id: number, body: Partial<Pick<User, 'name' | 'role' | 'team' | 'active'>> & { password?: string }): Promise<User> {
  return (await request<User>('PATCH', `/users/${id}`, { body })).data;
}

export interface Grid {
  bands: [number, number][];
  window_months: number;
  r_mode: 'sum' | 'last';
  f_per_txn: number;
  f_cap: number;
  m_rate: number;
  m_cap: number;
  weights: [number, number, number];
  minor_per_major: number;
}
export interface AnalyticsConfig {
  rfm_grid: Grid;
  abc: { mode: 'customers' | 'revenue'; a: number; b: number };
  clv: { months: number; monthly_discount: number; margin: number };
  analytics_stale_seconds: number;
}
export interface AnalyticsSettings { settings: AnalyticsConfig; defaults: AnalyticsConfig; customized: string[] }

export async function analytics(): Promise<AnalyticsSettings> {
  return (await request<AnalyticsSettings>('GET', '/analytics/settings')).data;
}
export async function saveAnalytics(body: Partial<AnalyticsConfig> & { reset?: string[] }): Promise<AnalyticsSettings> {
  return (await request<AnalyticsSettings>('PUT', '/analytics/settings', { body })).data;
}

export interface Policy { id: number; name: string; kind: string | null; priority: string | null; first_response_minutes: number; resolution_minutes: number; calendar_id: number | null }
export interface Calendar { id: number; name: string; tz_offset_minutes: number; hours: Record<string, [string, string]>; holidays: string[] }

export async function policies(): Promise<Policy[]> {
  return (await request<{ items: Policy[] }>('GET', '/sla/policies')).data.items;
}
export async function createPolicy(body: Omit<Policy, 'id'>): Promise<Policy> {
  return (await request<Policy>('POST', '/sla/policies', { body })).data;
}
export async function calendars(): Promise<Calendar[]> {
  return (await request<{ items: Calendar[] }>('GET', '/sla/calendars')).data.items;
}
export async function createCalendar(body: Omit<Calendar, 'id'>): Promise<Calendar> {
  return (await request<Calendar>('POST', '/sla/calendars', { body })).data;
}

export interface Channels {
  smtp_url: string; smtp_user: string; smtp_password_set: boolean; from: string; sms_url: string;
  sms_from: string; public_url: string; pressure_max: number; pressure_days: number;
  quiet_start: string | null; quiet_end: string | null; rate_per_sec: number; max_attempts: number;
}
export async function channels(): Promise<Channels> {
  return (await request<Channels>('GET', '/campaign-settings')).data;
}
export async function saveChannels(body: Partial<Channels> & { smtp_password?: string }): Promise<Channels> {
  return (await request<Channels>('PUT', '/campaign-settings', { body })).data;
}

export type Scope = 'all' | 'team' | 'own';
export async function visibility(): Promise<Record<Role, Scope>> {
  return (await request<Record<Role, Scope>>('GET', '/visibility')).data;
}
export async function saveVisibility(body: Partial<Record<Role, Scope>>): Promise<Record<Role, Scope>> {
  return (await request<Record<Role, Scope>>('PUT', '/visibility', { body })).data;
}
