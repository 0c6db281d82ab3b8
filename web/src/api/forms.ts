// Web forms and lead capture: form definitions, their submissions, and the
// embed code a site pastes (the snippet, or a plain HTML form).
import { request } from '../api';

export type FormKind = 'contact' | 'newsletter' | 'contest' | 'event' | 'referral';
export const FORM_KINDS: FormKind[] = ['contact', 'newsletter', 'contest', 'event', 'referral'];
export type FieldType = 'text' | 'email' | 'tel' | 'textarea' | 'select' | 'choices' | 'checkbox' | 'date';
export const FIELD_TYPES: FieldType[] = ['text', 'email', 'tel', 'textarea', 'select', 'choices', 'checkbox', 'date'];
export const MAPS_TO = ['none', 'email', 'first_name', 'last_name', 'name', 'phone', 'birth_date', 'sex', 'language',
  'line1', 'postal_code', 'city', 'country', 'interest', 'message', 'referral_code', 'referrer_email'] as const;
export const CONSENT_CHANNELS = ['email', 'sms', 'phone', 'mail', 'tracking', 'profiling'] as const;

export interface FormField {
  name: string; label: string; type?: FieldType; maps_to?: string; required?: boolean;
  options?: string[]; interest?: string | null;
}
export interface FormConsent { name: string; channel: string; purpose: string; wording: string; required?: boolean }
export interface FormHidden { name: string; value?: string | null }
export interface FormDef {
  id: number; key: string; name: string; kind: FormKind; status: 'active' | 'closed';
  title: string | null; intro: string | null; submit_label: string | null; thanks: string | null;
  fields: FormField[]; consents: FormConsent[]; hidden: FormHidden[];
  newsletter_id: number | null; site_key: string | null; origins: string[]; success_url: string | null;
  pow_bits: number; max_per_ip: number; max_per_email: number; capacity: number | null;
  created_at: string; updated_at: string; submissions: number; spam: number; prospects_created: number;
}
export type FormInput = Omit<FormDef, 'id' | 'key' | 'created_at' | 'updated_at' | 'submissions' | 'spam' | 'prospects_created'>;
export interface Submission {
  id: number; form_id: number; customer_id: number | null; customer: string | null; at: string;
  status: 'accepted' | 'spam'; created: boolean; data: Record<string, unknown>; email: string | null;
  ip: string | null; user_agent: string | null; page_url: string | null; visitor: string | null;
  visitor_joined: boolean; campaign: string | null; source: string | null;
}

export async function listForms(): Promise<FormDef[]> {
  return (await request<{ items: FormDef[] }>('GET', '/forms?limit=500')).data.items;
}
export async function createForm(body: Partial<FormInput>): Promise<FormDef> {
  return (await request<FormDef>('POST', '/forms', { body })).data;
}
export async function updateForm(id: number, body: Partial<FormInput>): Promise<FormDef> {
  return (await request<FormDef>('PATCH', `/forms/${id}`, { body })).data;
}
export async function formSubmissions(id: number, status?: string): Promise<Submission[]> {
  const q = status ? `&status=${status}` : '';
  return (await request<{ items: Submission[] }>('GET', `/forms/${id}/submissions?limit=100${q}`)).data.items;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The snippet: a placeholder and the script, which renders the form. */
export function embedSnippet(origin: string, f: FormDef): string {
  return `<div data-relatio-form="${f.key}"></div>\n<script src="${origin}/relatio-form.js" async></script>`;
}

/** The same form as plain HTML (no script; no proof-of-work possible). */
export function embedHtml(origin: string, f: FormDef): string {
  const out: string[] = [`<form action="${origin}/f/${f.key}" method="post" accept-charset="utf-8">`];
  if (f.title) out.push(`  <h2>${esc(f.title)}</h2>`);
  for (const x of f.fields) {
    const id = `rf-${x.name}`;
    const req = x.required ? ' required' : '';
    const type = x.type ?? 'text';
    if (type === 'checkbox') {
      out.push(`  <p><input type="checkbox" id="${id}" name="${x.name}" value="on"${req}> <label for="${id}">${esc(x.label)}</label></p>`);
    } else if (type === 'textarea') {
      out.push(`  <p><label for="${id}">${esc(x.label)}</label><br><textarea id="${id}" name="${x.name}"${req}></textarea></p>`);
    } else if (type === 'select' || type === 'choices') {
      const opts = (x.options ?? []).map((o) => `<option>${esc(o)}</option>`).join('');
      out.push(`  <p><label for="${id}">${esc(x.label)}</label><br><select id="${id}" name="${x.name}"${type === 'choices' ? ' multiple' : ''}${req}>${opts}</select></p>`);
    } else {
      out.push(`  <p><label for="${id}">${esc(x.label)}</label><br><input type="${type}" id="${id}" name="${x.name}"${req}></p>`);
    }
  }
  for (const c of f.consents) {
    out.push(`  <p><input type="checkbox" id="rf-${c.name}" name="${c.name}" value="on"${c.required ? ' required' : ''}> <label for="rf-${c.name}">${esc(c.wording)}</label></p>`);
  }
  for (const h of f.hidden) out.push(`  <input type="hidden" name="${h.name}" value="${esc(h.value ?? '')}">`);
  out.push('  <div style="position:absolute;left:-10000px" aria-hidden="true"><input type="text" name="_hp" tabindex="-1" autocomplete="off"></div>');
  out.push(`  <button type="submit">${esc(f.submit_label || 'Envoyer')}</button>`);
  out.push('</form>');
  return out.join('\n');
}
