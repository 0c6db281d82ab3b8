// The 360° view of one customer: profile, purchases, consents, preferences,
// the multichannel timeline, and quick actions (log an interaction).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import type { Customer, TimelineItem } from '../types';
import { CHANNELS } from '../types';
import { useI18n, type I18n, type Key } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox, Facts, lifecycleTone } from '../components/bits';
import { displayName } from '../names';
import { InteractionForm } from '../components/InteractionForm';
import { LoyaltyPanel } from '../components/LoyaltyPanel';
import { ScoresPanel } from '../components/ScoresPanel';
import { present } from '../timeline';
import { PhoneLink } from '../components/CallPopup';

export function Customer360({ id }: { id: string }) {
  const i = useI18n();
  const { t, label } = i;
  const [customer, setCustomer] = useState<Customer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [formChannel, setFormChannel] = useState<string | null>(null);
  const [tlVersion, setTlVersion] = useState(0);
  const [notice, setNotice] = useState('');
  const formRef = useRef<HTMLDivElement>(null);
  const actionsRef = useRef<HTMLDivElement>(null);
  const closeForm = () => {
    setFormChannel(null);
    actionsRef.current?.querySelector<HTMLElement>('button')?.focus();
  };

  const load = useCallback(() => {
    const ac = new AbortController();
    setError(null);
    api.getCustomer(id, ac.signal).then(
      (r) => setCustomer(r.customer),
      (e) => {
        if (!api.isAbort(e)) setError(e);
      },
    );
    return () => ac.abort();
  }, [id]);
  useEffect(load, [load]);

  useEffect(() => {
    if (customer) document.title = `${displayName(customer)} · relatio`;
  }, [customer]);

  useEffect(() => {
    if (formChannel) formRef.current?.querySelector<HTMLElement>('select, input')?.focus();
  }, [formChannel]);

  if (error) {
    const notFound = error instanceof api.ApiError && error.status === 404;
    return (
      <div class="page">
        <p><a href="#/customers">← {t('c360.backToList')}</a></p>
        {notFound ? <EmptyState title={t('c360.notFound')} icon="?" /> : <ErrorBox error={error} onRetry={load} />}
      </div>
    );
  }
  if (!customer) {
    return (
      <div class="page" aria-busy="true">
        <p class="muted">{t('common.loading')}</p>
      </div>
    );
  }

  const c = customer;
  const open = (ch: string) => {
    setNotice('');
    setFormChannel(ch);
  };

  return (
    <div class="page c360">
      <p class="crumbs"><a href="#/customers">← {t('c360.backToList')}</a></p>
      <div class="c360-head">
        <div>
          <h1>{displayName(c)}</h1>
          <div class="badges">
            <Badge>{label('kind', c.kind)}</Badge>
            {c.lifecycle && <Badge tone={lifecycleTone(c.lifecycle)}>{label('lifecycle', c.lifecycle)}</Badge>}
            {(c.flags ?? []).map((f) => (
              <Badge tone="bad" key={f.flag}>{label('flag', f.flag)}</Badge>
            ))}
          </div>
          {(c.flags ?? []).some((f) => f.reason) && (
            <ul class="plain flag-reasons" aria-label={t('c360.flags')}>
              {(c.flags ?? []).filter((f) => f.reason).map((f) => (
                <li key={f.flag}>
                  <span aria-hidden="true">⚑ </span>
                  {label('flag', f.flag)}: {f.reason}
                  {f.at && <span class="muted"> · {i.fmt.date(f.at)}</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div class="actions" role="group" aria-label={t('c360.quick')} ref={actionsRef}>
          <button type="button" class="btn btn-primary" onClick={() => open('phone')}>☎ {t('c360.logCall')}</button>
          <button type="button" class="btn" onClick={() => open('email')}>+ {t('c360.logInteraction')}</button>
        </div>
      </div>
      <p class="notice" role="status" aria-live="polite">{notice}</p>

      <div class="c360-grid">
        <div class="c360-side">
          <Profile c={c} />
          <Consents c={c} />
          <Prefs c={c} />
          <LoyaltyPanel customerId={Number(c.id)} kind={c.kind} onChange={() => setTlVersion((n) => n + 1)} />
          <ScoresPanel customerId={Number(c.id)} scores={(c as { scores?: never }).scores} currency={(c as { currency?: string | null }).currency} />
        </div>
        <div class="c360-main">
          <Stats c={c} />
          {formChannel && (
            <div ref={formRef}>
              <InteractionForm
                customerId={c.id}
                channel={formChannel}
                onCancel={closeForm}
                onSaved={() => {
                  closeForm();
                  setNotice(t('ix.saved'));
                  setTlVersion((n) => n + 1);
                }}
              />
            </div>
          )}
          <Timeline id={id} version={tlVersion} />
        </div>
      </div>
    </div>
  );
}

function Profile({ c }: { c: Customer }) {
  const { t, label, fmt } = useI18n();
  const isOrg = c.kind === 'organization';
  const emails = c.emails?.length ? c.emails : c.email ? [{ email: c.email, primary: true, label: null }] : [];
  const phones = c.phones?.length ? c.phones : c.phone ? [{ phone: c.phone, primary: true, label: null }] : [];
  const custom = Object.entries(c.custom ?? {});
  const firm = [c.company_revenue_minor, c.naf_code, c.headcount].some((v) => v !== null && v !== undefined && v !== '');
  return (
    <Card title={t('c360.profile')} id="profile">
      <GroupHead title={t('c360.identity')} at={c.field_updated_at?.identity} />
      <Facts
        rows={[
          [t('c360.orgName'), isOrg ? c.name : null],
          [t('c360.firstName'), c.first_name],
          [t('c360.lastName'), c.last_name],
          [t('c360.created'), c.created_at ? fmt.date(c.created_at) : null],
          [t('c360.updated'), c.updated_at ? fmt.dateTime(c.updated_at) : null],
        ]}
      />
      <GroupHead title={t('c360.contact')} at={c.field_updated_at?.contact} />
      {emails.length > 0 && (
        <ul class="plain" aria-label={t('c360.emails')}>
          {emails.map((e) => (
            <li key={e.email}>
              <span aria-hidden="true">✉ </span><a href={`mailto:${e.email}`}>{e.email}</a>
              {e.label && <span class="muted"> · {e.label}</span>}
              {e.primary && emails.length > 1 && <span class="muted"> · {t('common.primary')}</span>}
            </li>
          ))}
        </ul>
      )}
      {phones.length > 0 && (
        <ul class="plain" aria-label={t('c360.phones')}>
          {phones.map((p) => (
            <li key={p.phone}>
              <span aria-hidden="true">☎ </span><PhoneLink phone={p.phone} customerId={Number(c.id)} />
              {p.label && <span class="muted"> · {p.label}</span>}
              {p.primary && phones.length > 1 && <span class="muted"> · {t('common.primary')}</span>}
            </li>
          ))}
        </ul>
      )}
      {(c.addresses ?? []).length > 0 && (
        <ul class="plain" aria-label={t('c360.addresses')}>
          {(c.addresses ?? []).map((a, n) => (
            <li key={n}>
              <address>
                {a.label && <strong>{a.label}<br /></strong>}
                {a.line1}{a.line1 && <br />}
                {a.line2}{a.line2 && <br />}
                {[a.postal_code, a.city].filter(Boolean).join(' ')}
                {(a.region || a.country) && <br />}
                {[a.region, a.country ? fmt.country(a.country) : null].filter(Boolean).join(', ')}
              </address>
            </li>
          ))}
        </ul>
      )}
      {!emails.length && !phones.length && !(c.addresses ?? []).length && <p class="muted">{t('common.none')}</p>}

      {!isOrg && (c.birth_date || c.sex || c.occupation || c.income_band || c.housing) && (
        <>
          <GroupHead title={t('c360.socio')} at={c.field_updated_at?.socio} />
          <Facts
            rows={[
              [t('c360.birthDate'), c.birth_date ? fmt.date(c.birth_date) : null],
              [t('c360.sex'), c.sex ? label('sex', c.sex) : null],
              [t('c360.occupation'), c.occupation],
              [t('c360.income'), c.income_band ? label('income', c.income_band) : null],
              [t('c360.housing'), c.housing ? label('housing', c.housing) : null],
            ]}
          />
        </>
      )}
      {(isOrg || firm) && (
        <>
          <GroupHead title={t('c360.firm')} at={c.field_updated_at?.company} />
          <Facts
            rows={[
              [t('c360.companyRevenue'), c.company_revenue_minor !== null && c.company_revenue_minor !== undefined ? fmt.money(c.company_revenue_minor, c.stats?.currency || 'EUR') : null],
              [t('c360.naf'), c.naf_code],
              [t('c360.headcount'), c.headcount !== null && c.headcount !== undefined ? fmt.number(c.headcount) : null],
            ]}
          />
        </>
      )}
      {(c.tags?.length || c.interests?.length) ? (
        <>
          {c.tags?.length ? (
            <>
              <h3>{t('c360.tags')}</h3>
              <ul class="chips">{c.tags.map((x) => <li key={x} class="chip">{x}</li>)}</ul>
            </>
          ) : null}
          {c.interests?.length ? (
            <>
              <h3>{t('c360.interests')}</h3>
              <ul class="chips">{c.interests.map((x) => <li key={x} class="chip chip-interest">{x}</li>)}</ul>
            </>
          ) : null}
        </>
      ) : null}
      {(c.relations ?? []).length > 0 && (
        <>
          <h3>{t('c360.relations')}</h3>
          <ul class="plain">
            {(c.relations ?? []).map((r) => (
              <li key={`${r.kind}-${r.direction}-${r.related_id}`}>
                <span class="muted">{relationLabel(r.kind, r.direction, t)}</span>{' '}
                <a href={`#/customers/${encodeURIComponent(String(r.related_id))}`}>{r.display_name || `#${r.related_id}`}</a>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>{t('c360.provenance')}</h3>
      <Facts
        rows={[
          [t('c360.sourceKind'), c.source?.kind ? label('source', c.source.kind) : t('common.none')],
          [t('c360.sourceName'), c.source?.name],
          [t('c360.sourceTerms'), c.source?.terms],
          [t('c360.sourceExpires'), c.source?.expires_at ? fmt.date(c.source.expires_at) : null],
          [t('c360.owner'), c.owner_id !== null && c.owner_id !== undefined ? String(c.owner_id) : t('common.none')],
          [t('c360.team'), c.team],
        ]}
      />
      {custom.length > 0 && (
        <>
          <h3>{t('c360.custom')}</h3>
          <Facts rows={custom.map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)])} />
        </>
      )}
    </Card>
  );
}

/** After this many days without an update, a group of fields is shown as to be checked. */
const STALE_DAYS = 730;

function Freshness({ at }: { at: string }) {
  const { t, fmt } = useI18n();
  const d = new Date(at);
  const stale = !Number.isNaN(d.getTime()) && Date.now() - d.getTime() > STALE_DAYS * 86400000;
  return (
    <small class={`freshness ${stale ? 'stale' : ''}`}>
      {stale ? t('c360.stale', { date: fmt.date(at) }) : t('c360.freshUpdated', { date: fmt.date(at) })}
    </small>
  );
}

function GroupHead({ title, at }: { title: string; at?: string | null }) {
  return (
    <div class="group-head">
      <h3>{title}</h3>
      {at && <Freshness at={at} />}
    </div>
  );
}

function relationLabel(kind: string, direction: string, t: I18n['t']): string {
  const keys: Record<string, Key> = {
    household: 'rel.household',
    referral: 'rel.referral',
    'employee_of.to': 'rel.employee_of.to',
    'employee_of.from': 'rel.employee_of.from',
    'contact_of.to': 'rel.contact_of.to',
    'contact_of.from': 'rel.contact_of.from',
  };
  const k = keys[`${kind}.${direction}`] ?? keys[kind];
  return k ? t(k) : kind.replace(/_/g, ' ');
}

function Stats({ c }: { c: Customer }) {
  const { t, fmt } = useI18n();
  const s = c.stats ?? {};
  return (
    <section class="stats" aria-label={t('c360.stats')}>
      <div class="stat">
        <div class="stat-label">{t('c360.orders')}</div>
        <div class="stat-value">{fmt.number(s.orders ?? 0)}</div>
      </div>
      <div class="stat">
        <div class="stat-label">{t('c360.revenue')}</div>
        <div class="stat-value">{fmt.money(s.revenue_minor ?? 0, s.currency || 'EUR')}</div>
      </div>
      <div class="stat">
        <div class="stat-label">{t('c360.firstOrder')}</div>
        <div class="stat-value stat-small">{fmt.date(s.first_order_at)}</div>
      </div>
      <div class="stat">
        <div class="stat-label">{t('c360.lastOrder')}</div>
        <div class="stat-value stat-small">{fmt.date(s.last_order_at)}</div>
      </div>
    </section>
  );
}

function Consents({ c }: { c: Customer }) {
  const { t, label, fmt } = useI18n();
  const list = c.consents ?? [];
  return (
    <Card title={t('c360.consents')} id="consents">
      {list.length === 0 ? (
        <p class="muted">{t('c360.noConsent')}</p>
      ) : (
        <table class="table table-compact">
          <thead>
            <tr>
              <th scope="col">{t('c360.channel')}</th>
              <th scope="col">{t('c360.purpose')}</th>
              <th scope="col">{t('c360.granted')}</th>
              <th scope="col">{t('c360.at')}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((k, n) => (
              <tr key={n}>
                <td>{label('channel', k.channel)}</td>
                <td>{label('purpose', k.purpose)}</td>
                <td>
                  <Badge tone={k.granted ? 'good' : 'bad'}>{k.granted ? t('c360.grantedYes') : t('c360.grantedNo')}</Badge>
                </td>
                <td>
                  <span title={[k.legal_basis && `${t('c360.legalBasis')}: ${k.legal_basis}`, k.source && `${t('c360.source')}: ${k.source}`].filter(Boolean).join(' · ')}>
                    {fmt.date(k.at)}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function Prefs({ c }: { c: Customer }) {
  const { t, label, fmt } = useI18n();
  const p = c.preferences ?? {};
  const quiet = p.quiet_hours_start && p.quiet_hours_end ? `${p.quiet_hours_start} – ${p.quiet_hours_end}` : null;
  let lang: string | null = null;
  if (p.language) {
    try {
      lang = new Intl.DisplayNames([fmt.locale], { type: 'language' }).of(p.language) ?? p.language;
    } catch {
      lang = p.language;
    }
  }
  return (
    <Card title={t('c360.preferences')} id="preferences">
      {c.field_updated_at?.preferences && <Freshness at={c.field_updated_at.preferences} />}
      <Facts
        rows={[
          [t('c360.preferredChannel'), p.preferred_channel ? label('channel', p.preferred_channel) : t('common.none')],
          [t('c360.quietHours'), quiet],
          [t('c360.callback'), p.callback_requested_at ? fmt.dateTime(p.callback_requested_at) : null],
          [t('c360.language'), lang],
        ]}
      />
    </Card>
  );
}

// Symbols every common UI font has (no colour-emoji font needed).
const CHANNEL_ICON: Record<string, string> = {
  web: '◎', email: '✉', phone: '☎', sms: '✆', mail: '✎', store: '⌂', call_center: '☏', chat: '✍', social: '☺',
};
const KIND_ICON: Record<string, string> = { order: '¤', consent: '✓', ticket: '⚑', survey: '★' };

function Timeline({ id, version }: { id: string; version: number }) {
  const i = useI18n();
  const { t, label, fmt } = i;
  const [channel, setChannel] = useState('');
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const ctrl = useRef<AbortController | null>(null);

  const fetchPage = async (cur: string | null, append: boolean) => {
    if (!append) ctrl.current?.abort();
    const ac = append && ctrl.current ? ctrl.current : new AbortController();
    ctrl.current = ac;
    setLoading(true);
    try {
      const page = await api.timeline(id, { channel, cursor: cur }, ac.signal);
      if (ac.signal.aborted) return;
      setItems((prev) => (append ? [...prev, ...page.items] : page.items));
      setCursor(page.next_cursor);
      setError(null);
    } catch (e) {
      if (!api.isAbort(e)) setError(e);
    } finally {
      if (!ac.signal.aborted) setLoading(false);
    }
  };

  useEffect(() => {
    fetchPage(null, false);
    return () => ctrl.current?.abort();
  }, [id, channel, version]);

  return (
    <Card
      title={t('c360.timeline')}
      id="timeline"
      actions={
        <div class="field field-inline">
          <label for="tl-channel">{t('c360.timelineFilter')}</label>
          <select id="tl-channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
            <option value="">{t('common.all')}</option>
            {CHANNELS.map((ch) => (
              <option value={ch} key={ch}>{label('channel', ch)}</option>
            ))}
          </select>
        </div>
      }
    >
      {error ? <ErrorBox error={error} onRetry={() => fetchPage(null, false)} /> : null}
      {!error && !loading && items.length === 0 && <p class="muted">{t('c360.timelineEmpty')}</p>}
      {items.length > 0 && (
        <ol class="timeline" aria-busy={loading ? 'true' : undefined}>
          {items.map((it) => {
            const v = present(it, i);
            return (
              <li class={`tl-item tl-${it.kind}`} key={`${it.kind}-${it.id}`}>
                <span class="tl-icon" aria-hidden="true">{KIND_ICON[it.kind] ?? CHANNEL_ICON[it.channel ?? ''] ?? '•'}</span>
                <div class="tl-body">
                  <div class="tl-meta">
                    <time dateTime={it.at}>{fmt.dateTime(it.at)}</time>
                    <span> · {label('tl', it.kind)}</span>
                    {it.channel && <span> · {label('channel', it.channel)}</span>}
                    {it.direction && <span> · {label('direction', it.direction)}</span>}
                  </div>
                  <div class="tl-title">{v.title}</div>
                  {it.detail && <p class="tl-detail">{it.detail}</p>}
                  <div class="tl-tags">
                    {v.outcome && <Badge tone={v.tone}>{v.outcome}</Badge>}
                    {v.offer && <Badge tone="info">{t('tl.offerNamed', { offer: v.offer })}</Badge>}
                    {it.amount_minor !== null && it.amount_minor !== undefined && <strong class="tl-amount">{fmt.money(it.amount_minor, it.currency)}</strong>}
                  </div>
                </div>
              </li>
            );
          })}
        </ol>
      )}
      {loading && items.length === 0 && <p class="muted">{t('common.loading')}</p>}
      {cursor && !error && (
        <div class="more">
          <button type="button" class="btn" disabled={loading} onClick={() => fetchPage(cursor, true)}>
            {loading ? t('common.loading') : t('common.loadMore')}
          </button>
        </div>
      )}
    </Card>
  );
}
