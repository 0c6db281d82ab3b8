// Campaigns (Marketing): a builder (channel, offer, audience from a segment
// or a list of customers, control group, templates in French and English),
// the audience preview with the reason of every exclusion, a test send, the
// launch, and the results (delivered, opened, clicked, converted, uplift over
// the control group, ROI).
import { useCallback, useEffect, useState } from 'preact/hooks';
import * as camp from '../api/campaigns';
import type { Campaign, Channel, Preview, Results } from '../api/campaigns';
import * as seg from '../api/segments';
import type { Segment } from '../api/segments';
import { useI18n, type Key } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox, errorText } from '../components/bits';

const CHANNELS: Channel[] = ['email', 'sms', 'mail', 'phone'];
const REASONS = ['unreachable', 'no_address', 'no_consent', 'consent_withdrawn', 'suppressed', 'offer_refused',
  'provenance_not_yet', 'provenance_expired', 'provenance_purpose', 'pressure_cap'] as const;

const blank = {
  name: '', channel: 'email' as Channel, offer: '', segment: '', ids: '', control: '10',
  subject_fr: 'Une offre pour vous, {{ first_name | "chère cliente, cher client" }}',
  subject_en: 'An offer for you, {{ first_name | "dear customer" }}',
  body_fr: 'Bonjour {{ first_name | "" }},\n{% if offer %}Découvrez {{ offer }}.{% endif %}\nSe désinscrire : {{ unsubscribe_url }}',
  body_en: 'Hello {{ first_name | "" }},\n{% if offer %}Discover {{ offer }}.{% endif %}\nUnsubscribe: {{ unsubscribe_url }}',
};

function statusTone(s: string): string {
  return s === 'sent' ? 'good' : s === 'sending' || s === 'scheduled' ? 'info' : s === 'cancelled' ? 'bad' : 'plain';
}

export function Campaigns() {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [items, setItems] = useState<Campaign[] | null>(null);
  const [segments, setSegments] = useState<Segment[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [form, setForm] = useState(blank);
  const [formError, setFormError] = useState<string>('');
  const [open, setOpen] = useState<Campaign | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [results, setResults] = useState<Results | null>(null);
  const [testTo, setTestTo] = useState('');
  const [note, setNote] = useState('');
  const [actionError, setActionError] = useState<string>('');

  const load = useCallback(async () => {
    setError(null);
    try {
      setItems(await camp.list());
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    load();
    seg.list().then(setSegments, () => setSegments([]));
  }, [load]);

  const set = (k: keyof typeof blank) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });

  const select = async (c: Campaign) => {
    setPreview(null);
    setResults(null);
    setNote('');
    setActionError('');
    setOpen(await camp.get(c.id));
    if (c.launched_at) setResults(await camp.results(c.id));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setFormError('');
    const ids = form.ids.split(/[\s,;]+/).filter(Boolean).map(Number);
    try {
      const c = await camp.create({
        name: form.name, channel: form.channel, offer: form.offer || null,
        segment_id: form.segment ? Number(form.segment) : null,
        customer_ids: form.segment ? null : ids,
        control_pct: Number(form.control) || 0,
        subject_fr: form.channel === 'email' ? form.subject_fr : null,
        subject_en: form.channel === 'email' ? form.subject_en : null,
        body_fr: form.body_fr, body_en: form.body_en || null,
      });
      setForm(blank);
      await load();
      await select(c);
      setNote(t('camp.created', { name: c.name }));
    } catch (err) {
      setFormError(errorText(err, i18n));
    }
  };

  const act = async (fn: () => Promise<void>) => {
    setActionError('');
    setNote('');
    try {
      await fn();
    } catch (err) {
      setActionError(errorText(err, i18n));
    }
  };

  const reasonLabel = (r: string) => t(`camp.reason.${r}` as Key);
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`);

  return (
    <div class="page campaigns">
      <h1>{t('camp.title')}</h1>
      {error ? <ErrorBox error={error} onRetry={load} /> : null}
      <Card title={t('camp.new')} id="camp-new">
        <form class="form-grid" onSubmit={submit} noValidate>
          <label>
            {t('camp.name')}
            <input required value={form.name} onInput={set('name')} />
          </label>
          <label>
            {t('camp.channel')}
            <select value={form.channel} onChange={set('channel')}>
              {CHANNELS.map((c) => (
                <option key={c} value={c}>{t(`camp.ch.${c}` as Key)}</option>
              ))}
            </select>
          </label>
          <label>
            {t('camp.offer')}
            <input value={form.offer} onInput={set('offer')} />
          </label>
          <label>
            {t('camp.segment')}
            <select value={form.segment} onChange={set('segment')}>
              <option value="">{t('camp.segmentNone')}</option>
              {segments.map((s) => (
                <option key={s.id} value={String(s.id)}>{s.name}</option>
              ))}
            </select>
          </label>
          {!form.segment && (
            <label>
              {t('camp.ids')}
              <input value={form.ids} onInput={set('ids')} placeholder="12, 15, 42" />
            </label>
          )}
          <label>
            {t('camp.control')}
            <input type="number" min={0} max={90} value={form.control} onInput={set('control')} />
          </label>
          {form.channel === 'email' && (
            <>
              <label>
                {t('camp.subjectFr')}
                <input value={form.subject_fr} onInput={set('subject_fr')} />
              </label>
              <label>
                {t('camp.subjectEn')}
                <input value={form.subject_en} onInput={set('subject_en')} />
              </label>
            </>
          )}
          <label class="wide">
            {t('camp.bodyFr')}
            <textarea rows={5} value={form.body_fr} onInput={set('body_fr')} />
          </label>
          <label class="wide">
            {t('camp.bodyEn')}
            <textarea rows={5} value={form.body_en} onInput={set('body_en')} />
          </label>
          <p class="hint wide">{t('camp.help')}</p>
          {formError && (
            <p class="error-box wide" role="alert" id="camp-form-error">{formError}</p>
          )}
          <div class="wide">
            <button type="submit" class="btn btn-primary">{t('camp.create')}</button>
          </div>
        </form>
      </Card>

      <p role="status" class="note">{note}</p>

      <Card title={t('camp.list')} id="camp-list">
        {items === null ? (
          <p>{t('app.loading')}</p>
        ) : items.length === 0 ? (
          <EmptyState title={t('camp.none')} />
        ) : (
          <table class="table" aria-label={t('camp.list')}>
            <thead>
              <tr>
                <th scope="col">{t('camp.name')}</th>
                <th scope="col">{t('camp.channel')}</th>
                <th scope="col">{t('camp.status')}</th>
                <th scope="col">{t('camp.launched')}</th>
                <th scope="col"><span class="sr-only">{t('camp.open')}</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{t(`camp.ch.${c.channel}` as Key)}</td>
                  <td><Badge tone={statusTone(c.status)}>{t(`camp.st.${c.status}` as Key)}</Badge></td>
                  <td>{c.launched_at ? fmt.dateTime(c.launched_at) : '—'}</td>
                  <td>
                    <button type="button" class="btn btn-quiet" onClick={() => act(() => select(c))} aria-label={t('camp.openNamed', { name: c.name })}>
                      {t('camp.open')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>

      {open && (
        <Card title={open.name} id="camp-open" actions={<Badge tone={statusTone(open.status)}>{t(`camp.st.${open.status}` as Key)}</Badge>}>
          {actionError && <p class="error-box" role="alert">{actionError}</p>}
          <div class="toolbar">
            <button type="button" class="btn" onClick={() => act(async () => setPreview(await camp.preview(open.id)))}>
              {t('camp.preview')}
            </button>
            {open.status === 'draft' || open.status === 'scheduled' ? (
              <button type="button" class="btn btn-primary" onClick={() => act(async () => {
                const l = await camp.launch(open.id);
                setOpen(l);
                setNote(t('camp.launchedNote', { n: String(l.launch?.queued ?? 0) }));
                setResults(await camp.results(open.id));
                await load();
              })}>
                {t('camp.launch')}
              </button>
            ) : (
              <button type="button" class="btn" onClick={() => act(async () => setResults(await camp.results(open.id)))}>
                {t('camp.refresh')}
              </button>
            )}
          </div>
          {(open.channel === 'email' || open.channel === 'sms') && (
            <form class="inline-form" onSubmit={(e) => { e.preventDefault(); act(async () => { await camp.testSend(open.id, testTo); setNote(t('camp.testSent', { to: testTo })); }); }}>
              <label>
                {t('camp.testTo')}
                <input value={testTo} onInput={(e) => setTestTo((e.target as HTMLInputElement).value)} />
              </label>
              <button type="submit" class="btn">{t('camp.test')}</button>
            </form>
          )}
          {preview && (
            <section aria-labelledby="camp-preview-h">
              <h3 id="camp-preview-h">{t('camp.previewTitle')}</h3>
              <dl class="facts" id="camp-preview">
                <dt>{t('camp.audience')}</dt><dd>{fmt.number(preview.audience)}</dd>
                <dt>{t('camp.wouldSend')}</dt><dd>{fmt.number(preview.queued)}</dd>
                <dt>{t('camp.controlGroup')}</dt><dd>{fmt.number(preview.control)}</dd>
                <dt>{t('camp.excluded')}</dt><dd>{fmt.number(preview.excluded)}</dd>
              </dl>
              <Reasons reasons={preview.excluded_by_reason} label={reasonLabel} caption={t('camp.whyExcluded')} />
              {preview.samples[0] && (
                <figure class="sample">
                  <figcaption>{t('camp.sample', { to: preview.samples[0].to })}</figcaption>
                  {preview.samples[0].subject && <p><strong>{preview.samples[0].subject}</strong></p>}
                  <pre>{preview.samples[0].body}</pre>
                </figure>
              )}
            </section>
          )}
          {results && (
            <section aria-labelledby="camp-results-h">
              <h3 id="camp-results-h">{t('camp.results')}</h3>
              <dl class="facts" id="camp-results">
                <dt>{t('camp.delivered')}</dt><dd>{fmt.number(results.delivered)}</dd>
                <dt>{t('camp.opened')}</dt><dd>{fmt.number(results.opened)}</dd>
                <dt>{t('camp.clicked')}</dt><dd>{fmt.number(results.clicked)}</dd>
                <dt>{t('camp.converted')}</dt><dd>{fmt.number(results.converted)} ({pct(results.conversion_rate)})</dd>
                <dt>{t('camp.controlConverted')}</dt><dd>{fmt.number(results.control_converted)} ({pct(results.control_conversion_rate)})</dd>
                <dt>{t('camp.uplift')}</dt><dd>{results.uplift === null ? '—' : `${(results.uplift * 100).toFixed(1)} pts`}</dd>
                <dt>{t('camp.revenue')}</dt><dd>{fmt.money(results.revenue_minor, results.currency)}</dd>
                <dt>{t('camp.incremental')}</dt><dd>{fmt.money(results.incremental_revenue_minor, results.currency)}</dd>
                <dt>{t('camp.cost')}</dt><dd>{fmt.money(results.cost_minor, results.currency)}</dd>
                <dt>{t('camp.roi')}</dt><dd>{pct(results.roi)}</dd>
              </dl>
              <Reasons reasons={results.excluded_by_reason} label={reasonLabel} caption={t('camp.whyExcluded')} />
            </section>
          )}
        </Card>
      )}
    </div>
  );
}

function Reasons({ reasons, label, caption }: { reasons: Record<string, number>; label: (r: string) => string; caption: string }) {
  const rows = REASONS.filter((r) => reasons[r]);
  if (!rows.length) return null;
  return (
    <table class="table reasons">
      <caption>{caption}</caption>
      <tbody>
        {rows.map((r) => (
          <tr key={r}>
            <th scope="row">{label(r)}</th>
            <td>{reasons[r]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
