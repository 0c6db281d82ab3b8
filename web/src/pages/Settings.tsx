// Settings: users and roles, the scoring settings (the seed's RFM grid, ABC
// cut-offs, CLV horizon), SLA policies with business-hours calendars, and
// the channel settings of campaigns. Each tab loads what it shows; a change
// answers with the server's words next to the form.
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Route } from '../router';
import * as api from '../api/settings';
import type { AnalyticsConfig, AnalyticsSettings, Calendar, Channels, Grid, Policy, Role, User } from '../api/settings';
import { ApiError } from '../api';
import { useI18n, type Key } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox, errorText } from '../components/bits';
import './settings.css';
import { CtiSettings } from '../components/CtiSettings';

type Tab = 'users' | 'scores' | 'sla' | 'channels';
const TABS: Tab[] = ['users', 'scores', 'sla', 'channels'];

export function Settings({ route }: { route: Route }) {
  const { t } = useI18n();
  const tab: Tab = TABS.includes(route.parts[1] as Tab) ? (route.parts[1] as Tab) : 'users';
  return (
    <div class="page settings">
      <h1>{t('nav.settings')}</h1>
      <nav class="subnav" aria-label={t('set.tabs')}>
        {TABS.map((k) => (
          <a key={k} href={`#/settings/${k}`} aria-current={tab === k ? 'page' : undefined}>{t(`set.tab.${k}` as Key)}</a>
        ))}
      </nav>
      {tab === 'users' && <Users />}
      {tab === 'scores' && <Scores />}
      {tab === 'sla' && <Sla />}
      {tab === 'channels' && <ChannelsTab />}
    </div>
  );
}

/** Loads with fn; the data, the error and a reload. */
function useLoad<T>(fn: () => Promise<T>): [T | null, unknown, () => Promise<void>] {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    setError(null);
    try {
      setData(await fn());
    } catch (e) {
      setError(e);
    }
  }, [fn]);
  useEffect(() => {
    load();
  }, [load]);
  return [data, error, load];
}

/** A status line and an error line under a form, with the field the server named. */
function useOutcome() {
  const i18n = useI18n();
  const [note, setNote] = useState('');
  const [error, setError] = useState<{ text: string; field: string | null } | null>(null);
  const run = async (fn: () => Promise<unknown>, done: string): Promise<boolean> => {
    setNote('');
    setError(null);
    try {
      await fn();
      setNote(done);
      return true;
    } catch (e) {
      const field = e instanceof ApiError ? e.errors[0]?.field ?? null : null;
      setError({ text: errorText(e, i18n), field });
      return false;
    }
  };
  const view = (
    <>
      <p class="notice" role="status" aria-live="polite">{note}</p>
      {error && <p class="error" role="alert">{error.field ? <strong>{error.field}: </strong> : null}{error.text}</p>}
    </>
  );
  return { run, view, errorField: error?.field ?? null };
}

// ---- users ------------------------------------------------------------------

function Users() {
  const { t, label } = useI18n();
  const [list, error, load] = useLoad(api.users);
  const out = useOutcome();
  const [form, setForm] = useState({ email: '', name: '', role: 'sales' as Role, password: '', team: '' });
  if (error) {
    if (error instanceof ApiError && error.status === 403) return <EmptyState title={t('set.adminOnly')} icon="🔒">{t('set.adminOnlyBody')}</EmptyState>;
    return <ErrorBox error={error} onRetry={load} />;
  }
  if (!list) return <p class="muted" aria-busy="true">{t('common.loading')}</p>;
  const add = async (e: Event) => {
    e.preventDefault();
    const ok = await out.run(() => api.createUser({ ...form, team: form.team.trim() || null }), t('set.userAdded', { email: form.email }));
    if (ok) {
      setForm({ email: '', name: '', role: 'sales', password: '', team: '' });
      await load();
    }
  };
  return (
    <>
      <Card title={t('set.users')} id="set-users">
        <table class="table">
          <caption class="sr-only">{t('set.users')}</caption>
          <thead>
            <tr><th scope="col">{t('set.email')}</th><th scope="col">{t('set.name')}</th><th scope="col">{t('set.role')}</th><th scope="col">{t('set.team')}</th><th scope="col">{t('set.active')}</th><th scope="col"><span class="sr-only">{t('set.save')}</span></th></tr>
          </thead>
          <tbody>
            {list.map((u) => <UserRow key={u.id} u={u} onSaved={load} run={out.run} />)}
          </tbody>
        </table>
        <p class="muted">{ROLE_HELP.map((r) => `${label('set.roleName', r)}: ${t(`set.roleHelp.${r}` as Key)}`).join(' · ')}</p>
      </Card>
      <Card title={t('set.addUser')} id="set-add-user">
        <form class="settings-form" onSubmit={add} aria-label={t('set.addUser')}>
          <label>{t('set.email')} <input type="email" required value={form.email} aria-invalid={out.errorField === 'email'} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} /></label>
          <label>{t('set.name')} <input value={form.name} maxLength={200} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} /></label>
          <label>{t('set.role')}
            <select value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value as Role })}>
              {api.ROLES.map((r) => <option key={r} value={r}>{label('set.roleName', r)}</option>)}
            </select>
          </label>
          <label>{t('set.team')} <input value={form.team} maxLength={60} onInput={(e) => setForm({ ...form, team: e.currentTarget.value })} /></label>
          <label>{t('set.password')} <input type="password" required minLength={8} autocomplete="new-password" value={form.password} aria-invalid={out.errorField === 'password'} onInput={(e) => setForm({ ...form, password: e.currentTarget.value })} /></label>
          <button class="btn primary" type="submit">{t('set.addUser')}</button>
        </form>
        {out.view}
      </Card>
      <Visibility />
    </>
  );
}

/** Which customers each role sees: all, the team's and its own, or its own. */
function Visibility() {
  const { t, label } = useI18n();
  const [doc, error, load] = useLoad(api.visibility);
  const out = useOutcome();
  const [draft, setDraft] = useState<Record<string, api.Scope>>({});
  if (error) return <ErrorBox error={error} onRetry={load} />;
  if (!doc) return null;
  const value = (r: Role) => draft[r] ?? doc[r];
  const save = async (e: Event) => {
    e.preventDefault();
    if (await out.run(() => api.saveVisibility(draft), t('set.visSaved'))) {
      setDraft({});
      await load();
    }
  };
  return (
    <Card title={t('set.visibility')} id="set-visibility">
      <p class="muted">{t('set.visHelp')}</p>
      <form class="settings-form" onSubmit={save} aria-label={t('set.visibility')}>
        {api.ROLES.filter((r) => r !== 'admin').map((r) => (
          <label key={r}>{label('set.roleName', r)}
            <select value={value(r)} onChange={(e) => setDraft({ ...draft, [r]: e.currentTarget.value as api.Scope })}>
              {(['all', 'team', 'own'] as const).map((s) => <option key={s} value={s}>{t(`set.vis.${s}` as Key)}</option>)}
            </select>
          </label>
        ))}
        <button class="btn primary" type="submit" disabled={!Object.keys(draft).length}>{t('set.save')}</button>
      </form>
      {out.view}
    </Card>
  );
}

const ROLE_HELP: Role[] = ['admin', 'manager', 'sales', 'support', 'marketing', 'analyst'];

function UserRow({ u, onSaved, run }: { u: User; onSaved: () => Promise<void>; run: (fn: () => Promise<unknown>, done: string) => Promise<boolean> }) {
  const { t, label } = useI18n();
  const [role, setRole] = useState<Role>(u.role);
  const [team, setTeam] = useState(u.team ?? '');
  const [active, setActive] = useState(u.active);
  const dirty = role !== u.role || team !== (u.team ?? '') || active !== u.active;
  const save = async () => {
    if (await run(() => api.updateUser(u.id, { role, team: team.trim() || null, active }), t('set.userSaved', { email: u.email }))) await onSaved();
  };
  return (
    <tr data-user={u.email}>
      <td>{u.email}</td>
      <td>{u.name}</td>
      <td>
        <select aria-label={t('set.roleOf', { email: u.email })} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {api.ROLES.map((r) => <option key={r} value={r}>{label('set.roleName', r)}</option>)}
        </select>
      </td>
      <td><input aria-label={t('set.teamOf', { email: u.email })} value={team} maxLength={60} onInput={(e) => setTeam(e.currentTarget.value)} /></td>
      <td>
        <label class="check"><input type="checkbox" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} /> {active ? <Badge tone="good">{t('set.active')}</Badge> : <Badge tone="bad">{t('set.disabled')}</Badge>}</label>
      </td>
      <td><button class="btn" type="button" disabled={!dirty} onClick={save}>{t('set.save')}</button></td>
    </tr>
  );
}

// ---- scores -----------------------------------------------------------------

function Scores() {
  const { t } = useI18n();
  const [doc, error, load] = useLoad(api.analytics);
  const out = useOutcome(); /* outlives the form, which is remade after each save */
  if (error) return <ErrorBox error={error} onRetry={load} />;
  if (!doc) return <p class="muted" aria-busy="true">{t('common.loading')}</p>;
  return <ScoresForm key={JSON.stringify(doc.settings)} doc={doc} onSaved={load} out={out} />;
}

type Outcome = ReturnType<typeof useOutcome>;

function ScoresForm({ doc, onSaved, out }: { doc: AnalyticsSettings; onSaved: () => Promise<void>; out: Outcome }) {
  const { t, fmt } = useI18n();
  const [cfg, setCfg] = useState<AnalyticsConfig>(doc.settings);
  const grid = cfg.rfm_grid;
  const setGrid = (g: Partial<Grid>) => setCfg({ ...cfg, rfm_grid: { ...grid, ...g } });
  const setBand = (i: number, j: 0 | 1, v: string) => {
    const bands = grid.bands.map((b) => [...b] as [number, number]);
    bands[i][j] = Number(v);
    setGrid({ bands });
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (await out.run(() => api.saveAnalytics({ rfm_grid: cfg.rfm_grid, abc: cfg.abc, clv: cfg.clv }), t('set.scoresSaved'))) await onSaved();
  };
  const reset = async () => {
    if (await out.run(() => api.saveAnalytics({ reset: ['rfm_grid', 'abc', 'clv'] }), t('set.scoresReset'))) await onSaved();
  };
  const w = grid.weights;
  const example = w[0] * grid.bands[0]?.[1] + w[1] * Math.min(grid.f_cap, grid.f_per_txn) + w[2] * Math.min(grid.m_cap, grid.m_rate * 100);
  return (
    <form onSubmit={save} aria-label={t('set.tab.scores')}>
      <Card title={t('set.rfmGrid')} id="set-rfm" actions={doc.customized.includes('rfm_grid') ? <Badge tone="info">{t('set.customized')}</Badge> : <Badge>{t('set.default')}</Badge>}>
        <p class="muted">{t('set.rfmHelp')}</p>
        <table class="table bands">
          <caption>{t('set.bands')}</caption>
          <thead><tr><th scope="col">{t('set.monthsBelow')}</th><th scope="col">{t('set.points')}</th><th scope="col"><span class="sr-only">{t('set.remove')}</span></th></tr></thead>
          <tbody>
            {grid.bands.map((b, i) => (
              <tr key={i}>
                <td><input type="number" min={1} max={1200} required aria-label={t('set.bandMonths', { n: i + 1 })} value={b[0]} onInput={(e) => setBand(i, 0, e.currentTarget.value)} /></td>
                <td><input type="number" step="any" required aria-label={t('set.bandPoints', { n: i + 1 })} value={b[1]} onInput={(e) => setBand(i, 1, e.currentTarget.value)} /></td>
                <td><button type="button" class="btn" disabled={grid.bands.length <= 1} onClick={() => setGrid({ bands: grid.bands.filter((_, k) => k !== i) })}>{t('set.remove')}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" class="btn" disabled={grid.bands.length >= 8} onClick={() => setGrid({ bands: [...grid.bands, [(grid.bands.at(-1)?.[0] ?? 0) + 12, 0]] })}>{t('set.addBand')}</button>
        <div class="settings-form">
          <label>{t('set.window')} <input type="number" min={1} max={1200} required value={grid.window_months} onInput={(e) => setGrid({ window_months: Number(e.currentTarget.value) })} /></label>
          <label>{t('set.rMode')}
            <select value={grid.r_mode} onChange={(e) => setGrid({ r_mode: e.currentTarget.value as Grid['r_mode'] })}>
              <option value="sum">{t('set.rMode.sum')}</option>
              <option value="last">{t('set.rMode.last')}</option>
            </select>
          </label>
          <label>{t('set.fPerTxn')} <input type="number" step="any" min={0} value={grid.f_per_txn} onInput={(e) => setGrid({ f_per_txn: Number(e.currentTarget.value) })} /></label>
          <label>{t('set.fCap')} <input type="number" step="any" min={0} value={grid.f_cap} onInput={(e) => setGrid({ f_cap: Number(e.currentTarget.value) })} /></label>
          <label>{t('set.mRate')} <input type="number" step="any" min={0} value={grid.m_rate} onInput={(e) => setGrid({ m_rate: Number(e.currentTarget.value) })} /></label>
          <label>{t('set.mCap')} <input type="number" step="any" min={0} value={grid.m_cap} onInput={(e) => setGrid({ m_cap: Number(e.currentTarget.value) })} /></label>
          {(['R', 'F', 'M'] as const).map((k, i) => (
            <label key={k}>{t('set.weight', { k })} <input type="number" step="any" min={0} value={w[i]} onInput={(e) => {
              const nw = [...w] as [number, number, number];
              nw[i] = Number(e.currentTarget.value);
              setGrid({ weights: nw });
            }} /></label>
          ))}
        </div>
        <p class="muted" data-testid="rfm-formula">{t('set.formula', { r: fmt.number(w[0]), f: fmt.number(w[1]), m: fmt.number(w[2]), best: fmt.number(example) })}</p>
      </Card>
      <Card title={t('set.abc')} id="set-abc" actions={doc.customized.includes('abc') ? <Badge tone="info">{t('set.customized')}</Badge> : <Badge>{t('set.default')}</Badge>}>
        <div class="settings-form">
          <label>{t('set.abcMode')}
            <select value={cfg.abc.mode} onChange={(e) => setCfg({ ...cfg, abc: { ...cfg.abc, mode: e.currentTarget.value as AnalyticsConfig['abc']['mode'] } })}>
              <option value="customers">{t('set.abcMode.customers')}</option>
              <option value="revenue">{t('set.abcMode.revenue')}</option>
            </select>
          </label>
          <label>{t('set.abcA')} <input type="number" step="0.01" min={0} max={1} value={cfg.abc.a} onInput={(e) => setCfg({ ...cfg, abc: { ...cfg.abc, a: Number(e.currentTarget.value) } })} /></label>
          <label>{t('set.abcB')} <input type="number" step="0.01" min={0} max={1} value={cfg.abc.b} onInput={(e) => setCfg({ ...cfg, abc: { ...cfg.abc, b: Number(e.currentTarget.value) } })} /></label>
        </div>
      </Card>
      <Card title={t('set.clv')} id="set-clv" actions={doc.customized.includes('clv') ? <Badge tone="info">{t('set.customized')}</Badge> : <Badge>{t('set.default')}</Badge>}>
        <div class="settings-form">
          <label>{t('set.clvMonths')} <input type="number" min={1} max={1200} value={cfg.clv.months} onInput={(e) => setCfg({ ...cfg, clv: { ...cfg.clv, months: Number(e.currentTarget.value) } })} /></label>
          <label>{t('set.clvDiscount')} <input type="number" step="0.001" value={cfg.clv.monthly_discount} onInput={(e) => setCfg({ ...cfg, clv: { ...cfg.clv, monthly_discount: Number(e.currentTarget.value) } })} /></label>
          <label>{t('set.clvMargin')} <input type="number" step="0.01" min={0} value={cfg.clv.margin} onInput={(e) => setCfg({ ...cfg, clv: { ...cfg.clv, margin: Number(e.currentTarget.value) } })} /></label>
        </div>
      </Card>
      <div class="settings-actions">
        <button class="btn primary" type="submit">{t('set.save')}</button>
        <button class="btn" type="button" onClick={reset}>{t('set.resetDefaults')}</button>
      </div>
      {out.view}
    </form>
  );
}

// ---- SLA --------------------------------------------------------------------

const KINDS = ['', 'complaint', 'assistance', 'support', 'information'];
const PRIORITIES = ['', 'low', 'normal', 'high', 'urgent'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function Sla() {
  const { t, label } = useI18n();
  const loadBoth = useCallback(async () => ({ policies: await api.policies(), calendars: await api.calendars() }), []);
  const [doc, error, load] = useLoad(loadBoth);
  const out = useOutcome();
  const [p, setP] = useState({ name: '', kind: '', priority: '', first: '60', resolution: '1440', calendar: '' });
  const [c, setC] = useState({ name: '', tz: '60', open: '09:00', close: '18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: '' });
  if (error) return <ErrorBox error={error} onRetry={load} />;
  if (!doc) return <p class="muted" aria-busy="true">{t('common.loading')}</p>;
  const calName = (id: number | null) => (id === null ? t('set.always') : doc.calendars.find((x) => x.id === id)?.name ?? `#${id}`);
  const addPolicy = async (e: Event) => {
    e.preventDefault();
    const body: Omit<Policy, 'id'> = {
      name: p.name.trim(), kind: p.kind || null, priority: p.priority || null,
      first_response_minutes: Number(p.first), resolution_minutes: Number(p.resolution),
      calendar_id: p.calendar ? Number(p.calendar) : null,
    };
    if (await out.run(() => api.createPolicy(body), t('set.policyAdded', { name: body.name }))) {
      setP({ ...p, name: '' });
      await load();
    }
  };
  const addCalendar = async (e: Event) => {
    e.preventDefault();
    const hours: Record<string, [string, string]> = {};
    for (const d of c.days) hours[d] = [c.open, c.close];
    const holidays = c.holidays.split(/[\s,;]+/).filter(Boolean);
    if (await out.run(() => api.createCalendar({ name: c.name.trim(), tz_offset_minutes: Number(c.tz), hours, holidays }), t('set.calendarAdded', { name: c.name }))) {
      setC({ ...c, name: '', holidays: '' });
      await load();
    }
  };
  return (
    <>
      <Card title={t('set.policies')} id="set-policies">
        {doc.policies.length === 0 ? <p class="muted">{t('set.noPolicies')}</p> : (
          <table class="table">
            <caption class="sr-only">{t('set.policies')}</caption>
            <thead><tr><th scope="col">{t('set.name')}</th><th scope="col">{t('set.kind')}</th><th scope="col">{t('set.priority')}</th><th scope="col">{t('set.firstResponse')}</th><th scope="col">{t('set.resolution')}</th><th scope="col">{t('set.calendar')}</th></tr></thead>
            <tbody>
              {doc.policies.map((x) => (
                <tr key={x.id}>
                  <td>{x.name}</td><td>{x.kind ? label('service.kind', x.kind) : t('set.any')}</td><td>{x.priority ? label('service.priority', x.priority) : t('set.any')}</td>
                  <td>{minutes(x.first_response_minutes, t)}</td><td>{minutes(x.resolution_minutes, t)}</td><td>{calName(x.calendar_id)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form class="settings-form" onSubmit={addPolicy} aria-label={t('set.addPolicy')}>
          <label>{t('set.name')} <input required maxLength={100} value={p.name} onInput={(e) => setP({ ...p, name: e.currentTarget.value })} /></label>
          <label>{t('set.kind')}
            <select value={p.kind} onChange={(e) => setP({ ...p, kind: e.currentTarget.value })}>
              {KINDS.map((k) => <option key={k} value={k}>{k ? label('service.kind', k) : t('set.any')}</option>)}
            </select>
          </label>
          <label>{t('set.priority')}
            <select value={p.priority} onChange={(e) => setP({ ...p, priority: e.currentTarget.value })}>
              {PRIORITIES.map((k) => <option key={k} value={k}>{k ? label('service.priority', k) : t('set.any')}</option>)}
            </select>
          </label>
          <label>{t('set.firstResponseMin')} <input type="number" min={1} required value={p.first} onInput={(e) => setP({ ...p, first: e.currentTarget.value })} /></label>
          <label>{t('set.resolutionMin')} <input type="number" min={1} required value={p.resolution} onInput={(e) => setP({ ...p, resolution: e.currentTarget.value })} /></label>
          <label>{t('set.calendar')}
            <select value={p.calendar} onChange={(e) => setP({ ...p, calendar: e.currentTarget.value })}>
              <option value="">{t('set.always')}</option>
              {doc.calendars.map((x) => <option key={x.id} value={String(x.id)}>{x.name}</option>)}
            </select>
          </label>
          <button class="btn primary" type="submit">{t('set.addPolicy')}</button>
        </form>
      </Card>
      <Card title={t('set.calendars')} id="set-calendars">
        {doc.calendars.length === 0 ? <p class="muted">{t('set.noCalendars')}</p> : (
          <ul class="calendars">
            {doc.calendars.map((x: Calendar) => (
              <li key={x.id}><strong>{x.name}</strong> — {Object.entries(x.hours).map(([d, h]) => `${t(`set.day.${d}` as Key)} ${h[0]}–${h[1]}`).join(', ')}{x.holidays.length ? ` · ${t('set.holidaysN', { n: x.holidays.length })}` : ''}</li>
            ))}
          </ul>
        )}
        <form class="settings-form" onSubmit={addCalendar} aria-label={t('set.addCalendar')}>
          <label>{t('set.name')} <input required maxLength={100} value={c.name} onInput={(e) => setC({ ...c, name: e.currentTarget.value })} /></label>
          <label>{t('set.tz')} <input type="number" min={-720} max={840} value={c.tz} onInput={(e) => setC({ ...c, tz: e.currentTarget.value })} /></label>
          <label>{t('set.opens')} <input type="time" required value={c.open} onInput={(e) => setC({ ...c, open: e.currentTarget.value })} /></label>
          <label>{t('set.closes')} <input type="time" required value={c.close} onInput={(e) => setC({ ...c, close: e.currentTarget.value })} /></label>
          <fieldset class="days">
            <legend>{t('set.openDays')}</legend>
            {DAYS.map((d) => (
              <label key={d} class="check"><input type="checkbox" checked={c.days.includes(d)} onChange={(e) => setC({ ...c, days: e.currentTarget.checked ? [...c.days, d] : c.days.filter((x) => x !== d) })} /> {t(`set.day.${d}` as Key)}</label>
            ))}
          </fieldset>
          <label>{t('set.holidays')} <input placeholder="2026-12-25, 2027-01-01" value={c.holidays} onInput={(e) => setC({ ...c, holidays: e.currentTarget.value })} /></label>
          <button class="btn primary" type="submit">{t('set.addCalendar')}</button>
        </form>
      </Card>
      {out.view}
    </>
  );
}

function minutes(m: number, t: (k: Key, v?: Record<string, string | number>) => string): string {
  if (m % 1440 === 0) return t('set.days', { n: m / 1440 });
  if (m % 60 === 0) return t('set.hours', { n: m / 60 });
  return t('set.minutes', { n: m });
}

// ---- channels ---------------------------------------------------------------

function ChannelsTab() {
  const { t } = useI18n();
  const [doc, error, load] = useLoad(api.channels);
  const out = useOutcome();
  if (error) {
    if (error instanceof ApiError && error.status === 403) return <EmptyState title={t('set.adminOnly')} icon="🔒">{t('set.adminOnlyBody')}</EmptyState>;
    return <ErrorBox error={error} onRetry={load} />;
  }
  if (!doc) return <p class="muted" aria-busy="true">{t('common.loading')}</p>;
  return (
    <>
      <ChannelsForm key={JSON.stringify(doc)} doc={doc} onSaved={load} out={out} />
      <CtiSettings />
    </>
  );
}

function ChannelsForm({ doc, onSaved, out }: { doc: Channels; onSaved: () => Promise<void>; out: Outcome }) {
  const { t } = useI18n();
  const [v, setV] = useState({ ...doc, smtp_password: '' });
  const text = (k: 'smtp_url' | 'smtp_user' | 'from' | 'sms_url' | 'sms_from' | 'public_url') => (
    <label>{t(`set.ch.${k}` as Key)} <input value={v[k] ?? ''} aria-invalid={out.errorField === k} onInput={(e) => setV({ ...v, [k]: e.currentTarget.value })} /></label>
  );
  const save = async (e: Event) => {
    e.preventDefault();
    const body: Partial<Channels> & { smtp_password?: string } = {
      smtp_url: v.smtp_url, smtp_user: v.smtp_user, from: v.from, sms_url: v.sms_url, sms_from: v.sms_from, public_url: v.public_url,
      pressure_max: Number(v.pressure_max), pressure_days: Number(v.pressure_days),
      quiet_start: v.quiet_start || null, quiet_end: v.quiet_end || null,
      rate_per_sec: Number(v.rate_per_sec), max_attempts: Number(v.max_attempts),
    };
    if (v.smtp_password) body.smtp_password = v.smtp_password;
    if (await out.run(() => api.saveChannels(body), t('set.channelsSaved'))) await onSaved();
  };
  return (
    <form onSubmit={save} aria-label={t('set.tab.channels')}>
      <Card title={t('set.email')} id="set-email">
        <div class="settings-form">
          {text('smtp_url')}
          {text('smtp_user')}
          <label>{t('set.ch.smtp_password')} <input type="password" autocomplete="new-password" placeholder={doc.smtp_password_set ? '••••••••' : ''} value={v.smtp_password} onInput={(e) => setV({ ...v, smtp_password: e.currentTarget.value })} /></label>
          {text('from')}
          {text('public_url')}
        </div>
      </Card>
      <Card title={t('set.sms')} id="set-sms">
        <div class="settings-form">
          {text('sms_url')}
          {text('sms_from')}
        </div>
      </Card>
      <Card title={t('set.pressure')} id="set-pressure">
        <p class="muted">{t('set.pressureHelp')}</p>
        <div class="settings-form">
          <label>{t('set.ch.pressure_max')} <input type="number" min={0} max={100} value={v.pressure_max} onInput={(e) => setV({ ...v, pressure_max: Number(e.currentTarget.value) })} /></label>
          <label>{t('set.ch.pressure_days')} <input type="number" min={0} max={365} value={v.pressure_days} onInput={(e) => setV({ ...v, pressure_days: Number(e.currentTarget.value) })} /></label>
          <label>{t('set.ch.quiet_start')} <input type="time" value={v.quiet_start ?? ''} aria-invalid={out.errorField === 'quiet_start'} onInput={(e) => setV({ ...v, quiet_start: e.currentTarget.value })} /></label>
          <label>{t('set.ch.quiet_end')} <input type="time" value={v.quiet_end ?? ''} aria-invalid={out.errorField === 'quiet_end'} onInput={(e) => setV({ ...v, quiet_end: e.currentTarget.value })} /></label>
          <label>{t('set.ch.rate_per_sec')} <input type="number" min={0} max={100000} value={v.rate_per_sec} onInput={(e) => setV({ ...v, rate_per_sec: Number(e.currentTarget.value) })} /></label>
          <label>{t('set.ch.max_attempts')} <input type="number" min={0} max={50} value={v.max_attempts} onInput={(e) => setV({ ...v, max_attempts: Number(e.currentTarget.value) })} /></label>
        </div>
      </Card>
      <div class="settings-actions"><button class="btn primary" type="submit">{t('set.save')}</button></div>
      {out.view}
    </form>
  );
}
