// Web forms and lead capture: the form builder (fields mapped to customer
// fields and interests, consent boxes with their exact wording, hidden
// campaign/source fields, kind, spam settings), the embed code for a site,
// and each form's submissions. Posted values are shown as text (Preact
// escapes them): a script typed in a form is displayed, never run.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { useI18n, type Key } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox } from '../components/bits';
import {
  CONSENT_CHANNELS, FIELD_TYPES, FORM_KINDS, MAPS_TO, createForm, embedHtml, embedSnippet, formSubmissions, listForms,
  updateForm, type FormConsent, type FormDef, type FormField, type FormHidden, type FormInput, type FormKind, type Submission,
} from '../api/forms';

const blank = (): Partial<FormInput> => ({
  name: '', kind: 'contact', title: '', thanks: '', pow_bits: 0, max_per_ip: 30, max_per_email: 5,
  fields: [
    { name: 'email', label: 'E-mail', type: 'email', maps_to: 'email', required: true },
    { name: 'first_name', label: 'Prénom', type: 'text', maps_to: 'first_name' },
    { name: 'last_name', label: 'Nom', type: 'text', maps_to: 'last_name' },
  ],
  consents: [], hidden: [{ name: 'campaign', value: '' }, { name: 'source', value: '' }], origins: [],
});

const val = (e: Event) => (e.target as HTMLInputElement).value;
const checked = (e: Event) => (e.target as HTMLInputElement).checked;

export function Forms() {
  const { t, fmt } = useI18n();
  const [forms, setForms] = useState<FormDef[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [draft, setDraft] = useState<Partial<FormInput> | null>(null);
  const [editing, setEditing] = useState<FormDef | null>(null);
  const [saveErr, setSaveErr] = useState<ApiError | null>(null);
  const [open, setOpen] = useState<FormDef | null>(null);
  const [subs, setSubs] = useState<Submission[] | null>(null);
  const [newsletters, setNewsletters] = useState<{ id: number; name: string }[]>([]);
  const [sites, setSites] = useState<{ key: string; name: string }[]>([]);

  const load = () => listForms().then((f) => { setForms(f); setErr(null); }, setErr);
  useEffect(() => {
    load();
    request<{ items: { id: number; name: string }[] }>('GET', '/newsletters').then((a) => setNewsletters(a.data.items), () => undefined);
    request<{ items: { key: string; name: string }[] }>('GET', '/tracking/sites').then((a) => setSites(a.data.items), () => undefined);
  }, []);
  useEffect(() => {
    setSubs(null);
    if (open) formSubmissions(open.id).then(setSubs, setErr);
  }, [open?.id]);

  const set = (patch: Partial<FormInput>) => setDraft((d) => ({ ...d, ...patch }));
  const setField = (i: number, patch: Partial<FormField>) =>
    set({ fields: (draft?.fields ?? []).map((f, j) => (j === i ? { ...f, ...patch } : f)) });
  const setConsent = (i: number, patch: Partial<FormConsent>) =>
    set({ consents: (draft?.consents ?? []).map((f, j) => (j === i ? { ...f, ...patch } : f)) });
  const setHidden = (i: number, patch: Partial<FormHidden>) =>
    set({ hidden: (draft?.hidden ?? []).map((f, j) => (j === i ? { ...f, ...patch } : f)) });

  const save = async (e: Event) => {
    e.preventDefault();
    if (!draft) return;
    setSaveErr(null);
    const body: Partial<FormInput> = {
      ...draft,
      title: draft.title || null, thanks: draft.thanks || null, intro: draft.intro || null,
      success_url: draft.success_url || null, site_key: draft.site_key || null,
      newsletter_id: draft.kind === 'newsletter' ? draft.newsletter_id ?? null : null,
      capacity: draft.kind === 'event' && draft.capacity ? Number(draft.capacity) : null,
      fields: (draft.fields ?? []).map((f) => {
        const x: FormField = { name: f.name, label: f.label, type: f.type ?? 'text', maps_to: f.maps_to ?? 'none', required: !!f.required };
        if (f.type === 'select' || f.type === 'choices') x.options = f.options ?? [];
        if (f.type === 'checkbox' && f.interest) x.interest = f.interest;
        return x;
      }),
      hidden: (draft.hidden ?? []).map((h) => ({ name: h.name, value: h.value || null })),
    };
    try {
      const saved = editing ? await updateForm(editing.id, body) : await createForm(body);
      setDraft(null);
      setEditing(null);
      setOpen(saved);
      load();
    } catch (x) {
      if (x instanceof ApiError) setSaveErr(x);
      else setErr(x);
    }
  };
  const fieldErr = (name: string) => saveErr?.errors.find((e) => e.field === name || e.field.startsWith(`${name}[`) || e.field.startsWith(`${name}.`));

  const origin = window.location.origin;
  return (
    <div class="page">
      <h1>{t('forms.title')}</h1>
      <p class="muted">{t('forms.intro')}</p>
      {err ? <ErrorBox error={err} onRetry={load} /> : null}
      {!draft && (
        <p><button type="button" class="btn btn-primary" onClick={() => { setEditing(null); setSaveErr(null); setDraft(blank()); }}>{t('forms.new')}</button></p>
      )}
      {draft && (
        <Card title={editing ? t('forms.edit', { name: editing.name }) : t('forms.new')} id="form-builder">
          <form class="form-builder" onSubmit={save} aria-label={t('forms.builder')}>
            {saveErr && <div class="error-box" role="alert"><p>{saveErr.errors[0] ? `${saveErr.errors[0].field}: ${saveErr.errors[0].message}` : saveErr.detail}</p></div>}
            <div class="grid-2">
              <div class="field">
                <label for="fb-name">{t('forms.name')}</label>
                <input id="fb-name" required value={draft.name ?? ''} onInput={(e) => set({ name: val(e) })} aria-invalid={!!fieldErr('name')} />
              </div>
              <div class="field">
                <label for="fb-kind">{t('forms.kind')}</label>
                <select id="fb-kind" value={draft.kind} onChange={(e) => set({ kind: val(e) as FormKind })}>
                  {FORM_KINDS.map((k) => <option key={k} value={k}>{t(`forms.kind.${k}` as Key)}</option>)}
                </select>
              </div>
              <div class="field">
                <label for="fb-title">{t('forms.formTitle')}</label>
                <input id="fb-title" value={draft.title ?? ''} onInput={(e) => set({ title: val(e) })} />
              </div>
              <div class="field">
                <label for="fb-thanks">{t('forms.thanks')}</label>
                <input id="fb-thanks" value={draft.thanks ?? ''} onInput={(e) => set({ thanks: val(e) })} />
              </div>
              {draft.kind === 'newsletter' && (
                <div class="field">
                  <label for="fb-nl">{t('forms.newsletter')}</label>
                  <select id="fb-nl" value={String(draft.newsletter_id ?? '')} onChange={(e) => set({ newsletter_id: Number(val(e)) || null })}>
                    <option value="">—</option>
                    {newsletters.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
                  </select>
                </div>
              )}
              {draft.kind === 'event' && (
                <div class="field">
                  <label for="fb-cap">{t('forms.capacity')}</label>
                  <input id="fb-cap" type="number" min="1" value={draft.capacity ?? ''} onInput={(e) => set({ capacity: Number(val(e)) || null })} />
                </div>
              )}
              <div class="field">
                <label for="fb-site">{t('forms.site')}</label>
                <select id="fb-site" value={draft.site_key ?? ''} onChange={(e) => set({ site_key: val(e) || null })}>
                  <option value="">—</option>
                  {sites.map((s) => <option key={s.key} value={s.key}>{s.name}</option>)}
                </select>
              </div>
              <div class="field">
                <label for="fb-origins">{t('forms.origins')}</label>
                <input id="fb-origins" value={(draft.origins ?? []).join(', ')} placeholder="https://shop.example"
                  onChange={(e) => set({ origins: val(e).split(',').map((s) => s.trim()).filter(Boolean) })} />
              </div>
              <div class="field">
                <label for="fb-success">{t('forms.successUrl')}</label>
                <input id="fb-success" type="url" value={draft.success_url ?? ''} onInput={(e) => set({ success_url: val(e) })} />
              </div>
              <div class="field">
                <label for="fb-pow">{t('forms.pow')}</label>
                <input id="fb-pow" type="number" min="0" max="24" value={draft.pow_bits ?? 0} onInput={(e) => set({ pow_bits: Number(val(e)) || 0 })} />
              </div>
              <div class="field">
                <label for="fb-ip">{t('forms.maxPerIp')}</label>
                <input id="fb-ip" type="number" min="0" value={draft.max_per_ip ?? 30} onInput={(e) => set({ max_per_ip: Number(val(e)) || 0 })} />
              </div>
              <div class="field">
                <label for="fb-em">{t('forms.maxPerEmail')}</label>
                <input id="fb-em" type="number" min="0" value={draft.max_per_email ?? 5} onInput={(e) => set({ max_per_email: Number(val(e)) || 0 })} />
              </div>
            </div>

            <h3>{t('forms.fields')}</h3>
            <table class="table table-compact">
              <thead><tr>
                <th scope="col">{t('forms.fieldName')}</th><th scope="col">{t('forms.label')}</th><th scope="col">{t('forms.type')}</th>
                <th scope="col">{t('forms.mapsTo')}</th><th scope="col">{t('forms.options')}</th><th scope="col">{t('forms.required')}</th><th scope="col" />
              </tr></thead>
              <tbody>
                {(draft.fields ?? []).map((f, i) => (
                  <tr key={i}>
                    <td><input aria-label={`${t('forms.fieldName')} ${i + 1}`} value={f.name} onInput={(e) => setField(i, { name: val(e) })} /></td>
                    <td><input aria-label={`${t('forms.label')} ${i + 1}`} value={f.label} onInput={(e) => setField(i, { label: val(e) })} /></td>
                    <td>
                      <select aria-label={`${t('forms.type')} ${i + 1}`} value={f.type ?? 'text'} onChange={(e) => setField(i, { type: val(e) as FormField['type'] })}>
                        {FIELD_TYPES.map((x) => <option key={x} value={x}>{x}</option>)}
                      </select>
                    </td>
                    <td>
                      <select aria-label={`${t('forms.mapsTo')} ${i + 1}`} value={f.maps_to ?? 'none'} onChange={(e) => setField(i, { maps_to: val(e) })}>
                        {MAPS_TO.map((x) => <option key={x} value={x}>{x}</option>)}
                      </select>
                    </td>
                    <td>
                      {f.type === 'checkbox'
                        ? <input aria-label={`${t('forms.interest')} ${i + 1}`} placeholder={t('forms.interest')} value={f.interest ?? ''} onInput={(e) => setField(i, { interest: val(e) })} />
                        : (f.type === 'select' || f.type === 'choices') && (
                          <input aria-label={`${t('forms.options')} ${i + 1}`} value={(f.options ?? []).join(', ')}
                            onChange={(e) => setField(i, { options: val(e).split(',').map((s) => s.trim()).filter(Boolean) })} />
                        )}
                    </td>
                    <td><input type="checkbox" aria-label={`${t('forms.required')} ${i + 1}`} checked={!!f.required} onChange={(e) => setField(i, { required: checked(e) })} /></td>
                    <td><button type="button" class="btn btn-quiet" aria-label={t('forms.remove', { n: i + 1 })}
                      onClick={() => set({ fields: (draft.fields ?? []).filter((_, j) => j !== i) })}>✕</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p><button type="button" class="btn" onClick={() => set({ fields: [...(draft.fields ?? []), { name: '', label: '', type: 'text', maps_to: 'none' }] })}>{t('forms.addField')}</button></p>

            <h3>{t('forms.consents')}</h3>
            {(draft.consents ?? []).map((c, i) => (
              <fieldset key={i} class="consent-edit">
                <legend>{t('forms.consent', { n: i + 1 })}</legend>
                <div class="grid-2">
                  <div class="field"><label for={`fc-n${i}`}>{t('forms.fieldName')}</label><input id={`fc-n${i}`} value={c.name} onInput={(e) => setConsent(i, { name: val(e) })} /></div>
                  <div class="field"><label for={`fc-c${i}`}>{t('forms.channel')}</label>
                    <select id={`fc-c${i}`} value={c.channel} onChange={(e) => setConsent(i, { channel: val(e) })}>
                      {CONSENT_CHANNELS.map((x) => <option key={x} value={x}>{x}</option>)}
                    </select></div>
                  <div class="field"><label for={`fc-p${i}`}>{t('forms.purpose')}</label><input id={`fc-p${i}`} value={c.purpose} onInput={(e) => setConsent(i, { purpose: val(e) })} /></div>
                  <div class="field"><label><input type="checkbox" checked={!!c.required} onChange={(e) => setConsent(i, { required: checked(e) })} /> {t('forms.required')}</label></div>
                </div>
                <div class="field"><label for={`fc-w${i}`}>{t('forms.wording')}</label>
                  <textarea id={`fc-w${i}`} rows={2} value={c.wording} onInput={(e) => setConsent(i, { wording: val(e) })} /></div>
                <button type="button" class="btn btn-quiet" onClick={() => set({ consents: (draft.consents ?? []).filter((_, j) => j !== i) })}>{t('forms.removeConsent')}</button>
              </fieldset>
            ))}
            <p><button type="button" class="btn" onClick={() => set({ consents: [...(draft.consents ?? []), { name: `consent_${(draft.consents ?? []).length + 1}`, channel: 'email', purpose: 'marketing', wording: '' }] })}>{t('forms.addConsent')}</button></p>

            <h3>{t('forms.hidden')}</h3>
            {(draft.hidden ?? []).map((h, i) => (
              <div class="grid-2" key={i}>
                <div class="field"><label for={`fh-n${i}`}>{t('forms.fieldName')}</label><input id={`fh-n${i}`} value={h.name} onInput={(e) => setHidden(i, { name: val(e) })} /></div>
                <div class="field"><label for={`fh-v${i}`}>{t('forms.value')}</label><input id={`fh-v${i}`} value={h.value ?? ''} onInput={(e) => setHidden(i, { value: val(e) })} /></div>
              </div>
            ))}
            <p><button type="button" class="btn" onClick={() => set({ hidden: [...(draft.hidden ?? []), { name: '', value: '' }] })}>{t('forms.addHidden')}</button></p>
            <p>
              <button type="submit" class="btn btn-primary">{t('forms.save')}</button>{' '}
              <button type="button" class="btn" onClick={() => { setDraft(null); setEditing(null); }}>{t('common.cancel')}</button>
            </p>
          </form>
        </Card>
      )}

      {forms && forms.length === 0 && !draft ? <EmptyState title={t('forms.title')} icon="✎">{t('forms.empty')}</EmptyState> : null}
      {forms && forms.length > 0 && (
        <Card title={t('forms.list')} id="forms-list">
          <table class="table">
            <thead><tr>
              <th scope="col">{t('forms.name')}</th><th scope="col">{t('forms.kind')}</th><th scope="col">{t('forms.status')}</th>
              <th scope="col">{t('forms.submissions')}</th><th scope="col">{t('forms.spam')}</th><th scope="col">{t('forms.created')}</th><th scope="col" />
            </tr></thead>
            <tbody>
              {forms.map((f) => (
                <tr key={f.id}>
                  <td><button type="button" class="btn btn-quiet" onClick={() => setOpen(f)}>{f.name}</button></td>
                  <td>{t(`forms.kind.${f.kind}` as Key)}</td>
                  <td><Badge tone={f.status === 'active' ? 'good' : 'plain'}>{t(`forms.status.${f.status}` as Key)}</Badge></td>
                  <td>{fmt.number(f.submissions)}</td>
                  <td>{fmt.number(f.spam)}</td>
                  <td>{fmt.number(f.prospects_created)}</td>
                  <td>
                    <button type="button" class="btn" onClick={() => { setSaveErr(null); setEditing(f); setDraft({ ...f }); }}>{t('forms.editButton')}</button>{' '}
                    <button type="button" class="btn" onClick={async () => {
                      try { await updateForm(f.id, { status: f.status === 'active' ? 'closed' : 'active' }); load(); } catch (x) { setErr(x); }
                    }}>{f.status === 'active' ? t('forms.close') : t('forms.reopen')}</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}

      {open && (
        <div class="grid-2">
          <Card title={t('forms.embed', { name: open.name })} id="form-embed">
            <p class="muted">{t('forms.embedSnippet')}</p>
            <textarea class="code" readOnly rows={3} aria-label={t('forms.embedSnippet')} value={embedSnippet(origin, open)} />
            <p class="muted">{t('forms.embedHtml')}{open.pow_bits > 0 ? ` ${t('forms.embedHtmlPow')}` : ''}</p>
            <textarea class="code" readOnly rows={10} aria-label={t('forms.embedHtml')} value={embedHtml(origin, open)} />
          </Card>
          <Card title={t('forms.submissionsOf', { name: open.name })} id="form-submissions">
            {!subs ? <p>{t('app.loading')}</p> : subs.length === 0 ? <p class="muted">{t('forms.noSubmissions')}</p> : (
              <table class="table table-compact">
                <thead><tr>
                  <th scope="col">{t('forms.at')}</th><th scope="col">{t('forms.customer')}</th><th scope="col">{t('forms.status')}</th>
                  <th scope="col">{t('forms.provenance')}</th><th scope="col">{t('forms.values')}</th>
                </tr></thead>
                <tbody>
                  {subs.map((s) => (
                    <tr key={s.id}>
                      <td>{fmt.dateTime(s.at)}</td>
                      <td>{s.customer_id ? <a href={`#/customers/${s.customer_id}`}>{s.customer ?? s.email ?? `#${s.customer_id}`}</a> : '—'}
                        {s.created ? <> <Badge tone="good">{t('forms.new')}</Badge></> : null}</td>
                      <td>{s.status === 'spam' ? <Badge tone="bad">{t('forms.spam')}</Badge> : t('forms.accepted')}</td>
                      <td>{[s.campaign, s.source, s.page_url].filter(Boolean).join(' · ')}{s.visitor_joined ? ` · ${t('forms.visitorJoined')}` : ''}</td>
                      <td class="submission-values">{Object.entries(s.data).map(([k, v]) => (
                        <div key={k}><strong>{k}</strong>: {typeof v === 'string' ? v : JSON.stringify(v)}</div>
                      ))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
      )}
    </div>
  );
}
