// Service desk: the queue (nearest SLA due first, with countdowns) and the
// ticket page (conversation, reply or internal note, status, suggested
// knowledge-base articles).
import { useCallback, useEffect, useState } from 'preact/hooks';
import * as svc from '../api/service';
import type { Article, Ticket } from '../api/service';
import { ApiError } from '../api';
import type { Route } from '../router';
import { navigate } from '../router';
import { useI18n } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox, Facts } from '../components/bits';
import { TextMiningPanel } from '../components/TextMiningPanel';
import './service.css';

const STATUSES = ['new', 'open', 'waiting', 'resolved', 'closed'] as const;
/** Statuses reachable from each status (the server checks it too). */
const NEXT: Record<string, string[]> = {
  new: ['open', 'waiting', 'resolved', 'closed'],
  open: ['waiting', 'resolved', 'closed'],
  waiting: ['open', 'resolved', 'closed'],
  resolved: ['open', 'closed'],
  closed: [],
};

/** "in 2 h 05" / "5 min late": time left until an ISO instant. */
function useCountdown() {
  const { t } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 30000);
    return () => clearInterval(id);
  }, []);
  return (iso: string | null): { text: string; tone: string } => {
    if (!iso) return { text: t('common.none'), tone: 'plain' };
    const min = Math.round((new Date(iso).getTime() - now) / 60000);
    const abs = Math.abs(min);
    const span = abs >= 1440 ? `${Math.floor(abs / 1440)} ${t('service.days')}` : abs >= 60 ? `${Math.floor(abs / 60)} h ${String(abs % 60).padStart(2, '0')}` : `${abs} min`;
    if (min < 0) return { text: t('service.late', { span }), tone: 'bad' };
    return { text: t('service.dueIn', { span }), tone: min < 60 ? 'warn' : 'info' };
  };
}

function statusTone(s: string): string {
  return s === 'new' ? 'info' : s === 'open' ? 'warn' : s === 'waiting' ? 'plain' : 'good';
}

export function ServiceDesk({ route }: { route: Route }) {
  const id = route.parts[1];
  return id ? <TicketPage key={id} id={id} /> : <Queue />;
}

function Queue() {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const countdown = useCountdown();
  const [status, setStatus] = useState('active');
  const [mine, setMine] = useState(false);
  const [breached, setBreached] = useState(false);
  const [items, setItems] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [showNew, setShowNew] = useState(false);

  const load = useCallback(async () => {
    setError(null);
    try {
      setItems((await svc.tickets({ status: status === 'all' ? undefined : status, mine, breached })).items);
    } catch (e) {
      setError(e);
    }
  }, [status, mine, breached]);
  useEffect(() => { load(); }, [load]);

  return (
    <div class="page">
      <div class="page-head">
        <h1>{t('service.title')}</h1>
        <div class="form-actions">
          <a class="btn" href="#/knowledge">{t('kb.title')}</a>
          <button type="button" class="btn btn-primary" aria-expanded={showNew} onClick={() => setShowNew(!showNew)}>+ {t('service.new')}</button>
        </div>
      </div>
      {showNew && <NewTicket onCreated={(x) => navigate(`/service/${x.id}`)} />}
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field field-inline">
          <label for="sd-status">{t('service.statusLabel')}</label>
          <select id="sd-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="active">{t('service.active')}</option>
            {STATUSES.map((s) => <option key={s} value={s}>{i18n.label('service.status', s)}</option>)}
            <option value="all">{t('common.all')}</option>
          </select>
        </div>
        <div class="field field-inline">
          <input id="sd-mine" type="checkbox" checked={mine} onChange={(e) => setMine((e.target as HTMLInputElement).checked)} />
          <label for="sd-mine">{t('service.mine')}</label>
        </div>
        <div class="field field-inline">
          <input id="sd-breached" type="checkbox" checked={breached} onChange={(e) => setBreached((e.target as HTMLInputElement).checked)} />
          <label for="sd-breached">{t('service.breachedOnly')}</label>
        </div>
      </form>
      {error !== null && <ErrorBox error={error} onRetry={load} />}
      {items === null && error === null && <p class="muted" aria-busy="true">{t('common.loading')}</p>}
      {items && !items.length && <EmptyState title={t('service.none')} icon="☎" />}
      {items && !!items.length && (
        <div class="table-wrap">
          <table class="table" aria-label={t('service.queue')}>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t('service.subject')}</th>
                <th scope="col">{t('service.customer')}</th>
                <th scope="col">{t('service.priorityLabel')}</th>
                <th scope="col">{t('service.statusLabel')}</th>
                <th scope="col">{t('service.sla')}</th>
                <th scope="col">{t('service.assignee')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((x) => {
                const cd = countdown(x.next_due_at);
                return (
                  <tr key={x.id}>
                    <td>{x.id}</td>
                    <td>
                      <a href={`#/service/${x.id}`}>{x.subject}</a>
                      <div class="muted">{i18n.label('service.kind', x.kind)} · {i18n.label('service.channel', x.channel)} · {fmt.dateTime(x.created_at)}</div>
                    </td>
                    <td><a href={`#/customers/${x.customer_id}`}>{x.customer_name || `#${x.customer_id}`}</a></td>
                    <td><Badge tone={x.priority === 'urgent' ? 'bad' : x.priority === 'high' ? 'warn' : 'plain'}>{i18n.label('service.priority', x.priority)}</Badge></td>
                    <td><Badge tone={statusTone(x.status)}>{i18n.label('service.status', x.status)}</Badge></td>
                    <td>
                      {x.paused ? <Badge tone="plain">{t('service.paused')}</Badge> : x.next_due_at ? <Badge tone={cd.tone}>{cd.text}</Badge> : t('common.none')}
                      {(x.first_response_breached || x.resolution_breached) && <> <Badge tone="bad">{t('service.breached')}</Badge></>}
                    </td>
                    <td>{x.assignee_name || x.team_name || t('common.none')}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <TextMiningPanel />
    </div>
  );
}

function TicketPage({ id }: { id: string }) {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const countdown = useCountdown();
  const [tk, setTk] = useState<Ticket | null>(null);
  const [sugg, setSugg] = useState<Article[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [body, setBody] = useState('');
  const [internal, setInternal] = useState(false);
  const [after, setAfter] = useState('');
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');

  const load = useCallback(async () => {
    setError(null);
    try {
      const x = await svc.ticket(id);
      setTk(x);
      setSugg(await svc.suggestions(x.id));
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => { load(); }, [load]);

  if (error !== null) return <div class="page"><ErrorBox error={error} onRetry={load} /></div>;
  if (!tk) return <div class="page"><p class="muted" aria-busy="true">{t('common.loading')}</p></div>;

  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    try {
      const x = await svc.reply(tk.id, { body, internal, status: !internal && after ? after : undefined });
      setTk(x);
      setBody('');
      setNote(internal ? t('service.noteAdded') : t('service.replySent'));
    } catch (err) {
      setFormError(err instanceof ApiError ? err : new ApiError(0, {}));
    } finally {
      setBusy(false);
    }
  };
  const move = async (to: string) => {
    setFormError(null);
    try {
      setTk(await svc.updateTicket(tk.id, { status: to }));
      setNote(t('service.movedTo', { status: i18n.label('service.status', to) }));
    } catch (err) {
      setFormError(err instanceof ApiError ? err : new ApiError(0, {}));
    }
  };
  const fr = countdown(tk.first_response_at ? null : tk.first_response_due_at);
  const res = countdown(tk.resolved_at ? null : tk.resolution_due_at);
  const bodyErr = formError?.field('body');

  return (
    <div class="page">
      <nav class="crumbs" aria-label={t('service.crumbs')}><a href="#/service">{t('service.title')}</a> › #{tk.id}</nav>
      <div class="page-head">
        <h1>{tk.subject}</h1>
        <Badge tone={statusTone(tk.status)}>{i18n.label('service.status', tk.status)}</Badge>
      </div>
      <p class="sr-only" role="status" aria-live="polite">{note}</p>
      <div class="ticket-grid">
        <div>
          <Card title={t('service.conversation')} id="conversation">
            <ol class="conversation">
              {(tk.messages ?? []).map((m) => (
                <li key={m.id} class={`msg msg-${m.internal ? 'note' : m.direction}`}>
                  <div class="msg-head">
                    <strong>{m.internal ? t('service.internalNote') : m.direction === 'inbound' ? (tk.customer_name || t('service.customer')) : (m.author_name || t('service.agent'))}</strong>
                    <span class="muted"> · {fmt.dateTime(m.at)}</span>
                    {m.delivery === 'sent' && <span class="muted"> · {t('service.emailed')}</span>}
                    {m.delivery === 'failed' && <> <Badge tone="bad">{t('service.notSent')}</Badge></>}
                  </div>
                  <p class="msg-body">{m.body}</p>
                </li>
              ))}
            </ol>
            {tk.status !== 'closed' && (
              <form onSubmit={send} noValidate class="reply-form">
                <div class="field">
                  <label for="rp-body">{internal ? t('service.noteLabel') : t('service.replyLabel')}</label>
                  <textarea id="rp-body" rows={5} value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} aria-invalid={bodyErr ? 'true' : undefined} aria-describedby={bodyErr ? 'rp-body-err' : undefined} />
                  {bodyErr && <p class="field-error" id="rp-body-err">{bodyErr}</p>}
                </div>
                <div class="form-row">
                  <div class="field field-inline">
                    <input id="rp-internal" type="checkbox" checked={internal} onChange={(e) => setInternal((e.target as HTMLInputElement).checked)} />
                    <label for="rp-internal">{t('service.internal')}</label>
                  </div>
                  {!internal && (
                    <div class="field field-inline">
                      <label for="rp-after">{t('service.thenStatus')}</label>
                      <select id="rp-after" value={after} onChange={(e) => setAfter((e.target as HTMLSelectElement).value)}>
                        <option value="">{t('service.keepStatus')}</option>
                        {NEXT[tk.status].map((s) => <option key={s} value={s}>{i18n.label('service.status', s)}</option>)}
                      </select>
                    </div>
                  )}
                </div>
                {formError && !formError.errors.length && <p class="form-error" role="alert">{formError.detail || formError.title}</p>}
                {formError && formError.errors.length > 0 && !bodyErr && <p class="form-error" role="alert">{formError.errors[0].message}</p>}
                <div class="form-actions">
                  <button type="submit" class="btn btn-primary" disabled={busy || !body.trim()}>{internal ? t('service.addNote') : t('service.send')}</button>
                </div>
              </form>
            )}
          </Card>
        </div>
        <div>
          <Card title={t('service.details')} id="ticket-details">
            <Facts rows={[
              [t('service.customer'), <a href={`#/customers/${tk.customer_id}`}>{tk.customer_name || `#${tk.customer_id}`}</a>],
              [t('service.kindLabel'), i18n.label('service.kind', tk.kind)],
              [t('service.channelLabel'), i18n.label('service.channel', tk.channel)],
              [t('service.priorityLabel'), i18n.label('service.priority', tk.priority)],
              [t('service.team'), tk.team_name],
              [t('service.assignee'), tk.assignee_name],
              [t('service.firstResponse'), tk.first_response_at ? fmt.dateTime(tk.first_response_at) : tk.paused ? t('service.paused') : <Badge tone={fr.tone}>{fr.text}</Badge>],
              [t('service.resolution'), tk.resolved_at ? fmt.dateTime(tk.resolved_at) : tk.paused ? t('service.paused') : <Badge tone={res.tone}>{res.text}</Badge>],
              [t('service.breached'), tk.first_response_breached || tk.resolution_breached ? <Badge tone="bad">{t('common.yes')}</Badge> : t('common.no')],
            ]} />
            {NEXT[tk.status].length > 0 && (
              <div class="form-actions" role="group" aria-label={t('service.changeStatus')}>
                {NEXT[tk.status].map((s) => (
                  <button key={s} type="button" class="btn" onClick={() => move(s)}>{t('service.moveTo', { status: i18n.label('service.status', s) })}</button>
                ))}
              </div>
            )}
          </Card>
          <Card title={t('service.suggested')} id="suggested">
            {!sugg.length && <p class="muted">{t('service.noSuggestion')}</p>}
            <ul class="suggestions">
              {sugg.map((a) => (
                <li key={a.id}>
                  <a href={`#/knowledge/${a.id}`}>{a.title}</a> <span class="muted">({a.lang}{a.visibility === 'internal' ? `, ${t('kb.internal')}` : ''})</span>
                  <div class="muted">{a.excerpt}</div>
                  <button type="button" class="btn btn-quiet" onClick={() => { setBody((b) => (b ? `${b}\n\n` : '') + `${a.title}\n${a.excerpt ?? ''}`); setInternal(false); }}>{t('service.quote')}</button>
                </li>
              ))}
            </ul>
          </Card>
        </div>
      </div>
    </div>
  );
}

const KINDS = ['complaint', 'assistance', 'support', 'information'] as const;
const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
const CHANNELS = ['phone', 'email', 'web', 'chat', 'store', 'mail', 'social', 'sms', 'portal'] as const;

/** A ticket taken on the phone or at the counter. */
function NewTicket({ onCreated }: { onCreated: (t: Ticket) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [form, setForm] = useState({ customer_id: '', kind: 'complaint', priority: 'normal', channel: 'phone', subject: '', body: '' });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { kind: form.kind, priority: form.priority, channel: form.channel, subject: form.subject };
    if (form.customer_id) body.customer_id = Number(form.customer_id) || form.customer_id;
    if (form.body) body.body = form.body;
    try {
      onCreated(await svc.createTicket(body));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, {}));
    } finally {
      setBusy(false);
    }
  };
  const fe = (f: string) => error?.field(f);
  const described = (id: string, f: string) => (fe(f) ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${id}-err` } : {});
  const errLine = (id: string, f: string) => fe(f) && <p class="field-error" id={`${id}-err`}>{fe(f)}</p>;
  const select = (id: string, k: 'kind' | 'priority' | 'channel', label: string, values: readonly string[]) => (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={form[k]} onChange={set(k)}>
        {values.map((v) => <option key={v} value={v}>{i18n.label(`service.${k}`, v)}</option>)}
      </select>
    </div>
  );
  return (
    <Card title={t('service.new')} id="new-ticket">
      <form onSubmit={submit} noValidate>
        <div class="form-row">
          <div class="field">
            <label for="nk-customer">{t('service.customerId')}</label>
            <input id="nk-customer" value={form.customer_id} onInput={set('customer_id')} {...described('nk-customer', 'customer_id')} />
            {errLine('nk-customer', 'customer_id')}
          </div>
          {select('nk-kind', 'kind', t('service.kindLabel'), KINDS)}
          {select('nk-priority', 'priority', t('service.priorityLabel'), PRIORITIES)}
          {select('nk-channel', 'channel', t('service.channelLabel'), CHANNELS)}
        </div>
        <div class="field">
          <label for="nk-subject">{t('service.subject')}</label>
          <input id="nk-subject" value={form.subject} onInput={set('subject')} {...described('nk-subject', 'subject')} />
          {errLine('nk-subject', 'subject')}
        </div>
        <div class="field">
          <label for="nk-body">{t('service.bodyLabel')}</label>
          <textarea id="nk-body" rows={4} value={form.body} onInput={set('body')} {...described('nk-body', 'body')} />
          {errLine('nk-body', 'body')}
        </div>
        {error && !error.errors.length && <p class="form-error" role="alert">{error.detail || error.title}</p>}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('service.create')}</button>
        </div>
      </form>
    </Card>
  );
}
