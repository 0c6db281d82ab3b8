// Tasks: my calls, meetings, e-mails and to-dos by due time (or my team's,
// or everyone's), marking them done, creating one, and the link of my
// calendar feed for a calendar application.
import { useCallback, useEffect, useState } from 'preact/hooks';
import * as sales from '../api/sales';
import type { Task } from '../api/sales';
import { ApiError } from '../api';
import { useI18n } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox } from '../components/bits';
import './pipeline.css';

const KINDS = ['call', 'meeting', 'email', 'todo'] as const;

export function Tasks() {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [status, setStatus] = useState('open');
  const [mine, setMine] = useState(true);
  const [items, setItems] = useState<Task[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [showNew, setShowNew] = useState(false);
  const [note, setNote] = useState('');

  const load = useCallback(async () => {
    setError(null);
    try {
      setItems((await sales.tasks({ status: status === 'all' ? undefined : status, assignee_id: mine ? 'me' : undefined })).items);
    } catch (e) {
      setError(e);
    }
  }, [status, mine]);
  useEffect(() => { load(); }, [load]);

  const done = async (task: Task) => {
    setActionError(null);
    try {
      await sales.updateTask(task.id, { status: 'done' });
      setNote(t('tasks.doneNote', { title: task.title }));
      await load();
    } catch (e) {
      setActionError(e);
    }
  };

  return (
    <div class="page">
      <div class="page-head">
        <h1>{t('tasks.title')}</h1>
        <button type="button" class="btn btn-primary" aria-expanded={showNew} onClick={() => setShowNew(!showNew)}>+ {t('tasks.new')}</button>
      </div>
      <nav class="subnav" aria-label={t('sales.views')}>
        <a href="#/pipeline">{t('sales.board')}</a>
        <a href="#/pipeline/forecast">{t('sales.forecast')}</a>
        <a href="#/tasks" aria-current="page">{t('tasks.title')}</a>
      </nav>
      {showNew && <NewTask onCreated={(task) => { setShowNew(false); setNote(t('tasks.createdNote', { title: task.title })); load(); }} />}
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field field-inline">
          <label for="tk-status">{t('tasks.statusLabel')}</label>
          <select id="tk-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="open">{t('tasks.status.open')}</option>
            <option value="done">{t('tasks.status.done')}</option>
            <option value="all">{t('common.all')}</option>
          </select>
        </div>
        <div class="field field-inline">
          <input id="tk-mine" type="checkbox" checked={mine} onChange={(e) => setMine((e.target as HTMLInputElement).checked)} />
          <label for="tk-mine">{t('tasks.mine')}</label>
        </div>
      </form>
      <p class="sr-only" role="status" aria-live="polite">{note}</p>
      {actionError !== null && <ErrorBox error={actionError} />}
      {error !== null && <ErrorBox error={error} onRetry={load} />}
      {items === null && error === null && <p class="muted" aria-busy="true">{t('common.loading')}</p>}
      {items && !items.length && <EmptyState title={t('tasks.none')} icon="✓" />}
      {items && !!items.length && (
        <div class="table-wrap">
          <table class="table" aria-label={t('tasks.list')}>
            <thead>
              <tr>
                <th scope="col">{t('tasks.kindLabel')}</th>
                <th scope="col">{t('tasks.what')}</th>
                <th scope="col">{t('tasks.due')}</th>
                <th scope="col">{t('tasks.assignee')}</th>
                <th scope="col">{t('tasks.statusLabel')}</th>
                <th scope="col"><span class="sr-only">{t('tasks.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((x) => (
                <tr key={x.id}>
                  <td>{i18n.label('tasks.kind', x.kind)}</td>
                  <td>
                    <strong>{x.title}</strong>
                    {x.customer_id && <> · <a href={`#/customers/${x.customer_id}`}>{x.customer_name || `#${x.customer_id}`}</a></>}
                    {x.deal_id && <> · <a href={`#/pipeline/deal/${x.deal_id}`}>{x.deal_title || `#${x.deal_id}`}</a></>}
                  </td>
                  <td>
                    {x.due_at ? fmt.dateTime(x.due_at) : t('common.none')}
                    {x.overdue && <> <Badge tone="bad">{t('tasks.overdue')}</Badge></>}
                    {x.remind_at && x.status === 'open' && <div class="muted">{t('tasks.reminder', { at: fmt.dateTime(x.remind_at) })}</div>}
                  </td>
                  <td>{x.assignee_email ?? (x.team ? t('tasks.team', { team: x.team }) : t('common.none'))}</td>
                  <td><Badge tone={x.status === 'done' ? 'good' : x.status === 'open' ? 'info' : 'plain'}>{i18n.label('tasks.status', x.status)}</Badge></td>
                  <td>
                    {x.status === 'open' && (
                      <button type="button" class="btn" aria-label={t('tasks.markDone', { title: x.title })} onClick={() => done(x)}>{t('tasks.doneShort')}</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CalendarLink />
    </div>
  );
}

/** An ISO time from a datetime-local value (the browser's local time). */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function NewTask({ onCreated }: { onCreated: (t: Task) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [form, setForm] = useState({ kind: 'call', title: '', customer_id: '', due_at: '', remind_at: '' });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { kind: form.kind, title: form.title };
    if (form.customer_id) body.customer_id = Number(form.customer_id) || form.customer_id;
    if (form.due_at) body.due_at = isoOf(form.due_at);
    if (form.remind_at) body.remind_at = isoOf(form.remind_at);
    try {
      onCreated(await sales.createTask(body));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, {}));
    } finally {
      setBusy(false);
    }
  };
  const fe = (f: string) => error?.field(f);
  const described = (id: string, f: string) => (fe(f) ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${id}-err` } : {});
  const errLine = (id: string, f: string) => fe(f) && <p class="field-error" id={`${id}-err`}>{fe(f)}</p>;
  return (
    <Card title={t('tasks.new')} id="new-task">
      <form onSubmit={submit} noValidate>
        <div class="form-row">
          <div class="field">
            <label for="nt-kind">{t('tasks.kindLabel')}</label>
            <select id="nt-kind" value={form.kind} onChange={set('kind')}>
              {KINDS.map((k) => <option key={k} value={k}>{i18n.label('tasks.kind', k)}</option>)}
            </select>
          </div>
          <div class="field">
            <label for="nt-title">{t('tasks.titleLabel')}</label>
            <input id="nt-title" value={form.title} onInput={set('title')} {...described('nt-title', 'title')} />
            {errLine('nt-title', 'title')}
          </div>
          <div class="field">
            <label for="nt-customer">{t('sales.customerId')}</label>
            <input id="nt-customer" value={form.customer_id} onInput={set('customer_id')} {...described('nt-customer', 'customer_id')} />
            {errLine('nt-customer', 'customer_id')}
          </div>
          <div class="field">
            <label for="nt-due">{t('tasks.due')}</label>
            <input id="nt-due" type="datetime-local" value={form.due_at} onInput={set('due_at')} {...described('nt-due', 'due_at')} />
            {errLine('nt-due', 'due_at')}
          </div>
          <div class="field">
            <label for="nt-remind">{t('tasks.remindAt')}</label>
            <input id="nt-remind" type="datetime-local" value={form.remind_at} onInput={set('remind_at')} {...described('nt-remind', 'remind_at')} />
            {errLine('nt-remind', 'remind_at')}
          </div>
        </div>
        {error && !error.errors.length && <p class="form-error" role="alert">{error.detail || error.title}</p>}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('tasks.create')}</button>
        </div>
      </form>
    </Card>
  );
}

function CalendarLink() {
  const { t } = useI18n();
  const [url, setUrl] = useState('');
  const [error, setError] = useState<unknown>(null);
  const make = async () => {
    setError(null);
    try {
      setUrl((await sales.calendarFeed()).url);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Card title={t('tasks.calendar')} id="calendar">
      <p class="muted">{t('tasks.calendarHelp')}</p>
      {url && (
        <div class="field">
          <label for="cal-url">{t('tasks.calendarUrl')}</label>
          <input id="cal-url" readOnly value={url} onFocus={(e) => (e.target as HTMLInputElement).select()} />
        </div>
      )}
      {error !== null && <ErrorBox error={error} />}
      <button type="button" class="btn" onClick={make}>{url ? t('tasks.calendarRotate') : t('tasks.calendarMake')}</button>
    </Card>
  );
}
