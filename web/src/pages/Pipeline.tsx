// Sales pipeline: the kanban (drag a deal to another stage, or use the
// "Move to" list on each card: the keyboard way), a deal's page with its
// stage history, and the forecast against objectives.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from 'chart.js';
import * as sales from '../api/sales';
import type { Deal, Forecast, Pipeline as PipelineT, Stage } from '../api/sales';
import { ApiError, isAbort } from '../api';
import { useI18n } from '../i18n';
import type { Route } from '../router';
import { navigate } from '../router';
import { Badge, Card, EmptyState, ErrorBox, Facts, errorText } from '../components/bits';
import './pipeline.css';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

export function Pipeline({ route }: { route: Route }) {
  const [, sub, id] = route.parts;
  if (sub === 'deal' && id) return <DealPage key={id} id={id} />;
  if (sub === 'forecast') return <ForecastPage period={route.query.get('period')} mine={route.query.get('owner') === 'me'} team={route.query.get('team') ?? ''} />;
  if (sub === 'leads') return <LeadsPage />;
  if (sub === 'report') return <ReportPage from={route.query.get('from')} to={route.query.get('to')} />;
  return <Board pipelineId={route.query.get('pipeline')} />;
}

function SubNav({ current }: { current: 'board' | 'leads' | 'forecast' | 'report' }) {
  const { t } = useI18n();
  return (
    <nav class="subnav" aria-label={t('sales.views')}>
      <a href="#/pipeline" aria-current={current === 'board' ? 'page' : undefined}>{t('sales.board')}</a>
      <a href="#/pipeline/leads" aria-current={current === 'leads' ? 'page' : undefined}>{t('leads.title')}</a>
      <a href="#/pipeline/forecast" aria-current={current === 'forecast' ? 'page' : undefined}>{t('sales.forecast')}</a>
      <a href="#/pipeline/report" aria-current={current === 'report' ? 'page' : undefined}>{t('sales.report')}</a>
      <a href="#/tasks">{t('tasks.title')}</a>
    </nav>
  );
}

function statusTone(s: string): string {
  return s === 'won' ? 'good' : s === 'lost' ? 'bad' : 'info';
}

/** Asks why a deal is won or lost (required for lost) before closing it. */
function ReasonDialog({ deal, stage, onConfirm, onCancel }: { deal: Deal; stage: Stage; onConfirm: (reason: string) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [err, setErr] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => box.current?.focus(), []);
  const submit = (e: Event) => {
    e.preventDefault();
    if (stage.kind === 'lost' && !reason.trim()) {
      setErr(t('sales.reasonRequired'));
      box.current?.focus();
      return;
    }
    onConfirm(reason.trim());
  };
  return (
    <div class="modal-back" onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <div class="modal" role="dialog" aria-modal="true" aria-labelledby="reason-h">
      <form onSubmit={submit} noValidate>
        <h2 id="reason-h">{t(stage.kind === 'won' ? 'sales.closeWon' : 'sales.closeLost', { title: deal.title })}</h2>
        <div class="field">
          <label for="reason-text">{t('sales.reason')}</label>
          <textarea id="reason-text" ref={box} rows={3} value={reason} aria-invalid={err ? 'true' : undefined}
            aria-describedby={err ? 'reason-err' : undefined} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
          {err && <p class="field-error" id="reason-err">{err}</p>}
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">{t('sales.confirmMove', { stage: stage.name })}</button>
          <button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button>
        </div>
      </form>
      </div>
    </div>
  );
}

// ---- board ------------------------------------------------------------------

function Board({ pipelineId }: { pipelineId: string | null }) {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [list, setList] = useState<PipelineT[] | null>(null);
  const [data, setData] = useState<PipelineT | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [moveError, setMoveError] = useState<unknown>(null);
  const [pending, setPending] = useState<{ deal: Deal; stage: Stage } | null>(null);
  const [status, setStatus] = useState('');
  const [dropOn, setDropOn] = useState<number | null>(null);
  const [showNew, setShowNew] = useState(false);
  const dragged = useRef<Deal | null>(null);

  const current = list && (list.find((p) => String(p.id) === pipelineId) ?? list.find((p) => p.is_default) ?? list[0]);

  const load = useCallback(async () => {
    setError(null);
    try {
      const ps = list ?? (await sales.pipelines());
      if (!list) setList(ps);
      const p = ps.find((x) => String(x.id) === pipelineId) ?? ps.find((x) => x.is_default) ?? ps[0];
      if (p) setData(await sales.board(p.id));
    } catch (e) {
      if (!isAbort(e)) setError(e);
    }
  }, [pipelineId, list]);

  useEffect(() => {
    load();
  }, [load]);

  const doMove = async (deal: Deal, stage: Stage, reason?: string) => {
    setMoveError(null);
    try {
      await sales.moveDeal(deal.id, stage.id, reason);
      setStatus(t('sales.moved', { title: deal.title, stage: stage.name }));
      await load();
    } catch (e) {
      setMoveError(e);
    }
  };

  const requestMove = (deal: Deal, stageId: number) => {
    const stage = data?.stages.find((s) => s.id === stageId);
    if (!stage || stage.id === deal.stage_id) return;
    if (stage.kind !== 'open') setPending({ deal, stage });
    else doMove(deal, stage);
  };

  if (error) return <div class="page"><h1>{t('nav.pipeline')}</h1><ErrorBox error={error} onRetry={load} /></div>;
  return (
    <div class="page pipeline">
      <div class="page-head">
        <h1>{t('nav.pipeline')}</h1>
        <div class="form-actions">
          {list && list.length > 1 && current && (
            <div class="field field-inline">
              <label for="pl-select">{t('sales.pipeline')}</label>
              <select id="pl-select" value={current.id} onChange={(e) => navigate(`/pipeline?pipeline=${(e.target as HTMLSelectElement).value}`)}>
                {list.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
              </select>
            </div>
          )}
          <button type="button" class="btn btn-primary" aria-expanded={showNew} onClick={() => setShowNew(!showNew)}>+ {t('sales.newDeal')}</button>
        </div>
      </div>
      <SubNav current="board" />
      {showNew && data && <NewDeal pipeline={data} onCreated={() => { setShowNew(false); load(); }} />}
      <p class="sr-only" role="status" aria-live="polite">{status}</p>
      {moveError !== null && <ErrorBox error={moveError} />}
      {!data && <p class="muted" aria-busy="true">{t('common.loading')}</p>}
      {data && (
        <div class="kanban">
          {data.stages.map((s) => (
            <section key={s.id} class={`kb-col kb-${s.kind}${dropOn === s.id ? ' kb-drop' : ''}`} aria-labelledby={`kb-h-${s.id}`}
              data-stage-id={s.id}
              onDragOver={(e) => { e.preventDefault(); setDropOn(s.id); }}
              onDragLeave={() => setDropOn((v) => (v === s.id ? null : v))}
              onDrop={(e) => {
                e.preventDefault();
                setDropOn(null);
                const d = dragged.current;
                dragged.current = null;
                if (d) requestMove(d, s.id);
              }}>
              <header class="kb-head">
                <h2 id={`kb-h-${s.id}`}>{s.name}</h2>
                <span class="muted">{t('sales.stageStats', { n: s.count ?? 0, p: s.probability })}</span>
                <span class="kb-sum">{fmt.money(s.amount_minor ?? 0, data.currency)}</span>
              </header>
              <ul class="kb-list">
                {(s.deals ?? []).map((d) => (
                  <li key={d.id} class="kb-card" draggable={d.status === 'open'} data-deal-id={d.id}
                    onDragStart={(e) => { dragged.current = d; e.dataTransfer?.setData('text/plain', String(d.id)); }}>
                    <a href={`#/pipeline/deal/${d.id}`} class="kb-title">{d.title}</a>
                    <span class="kb-customer">{d.customer_name || t('common.none')}</span>
                    <span class="kb-meta">
                      <strong>{fmt.money(d.amount_minor, d.currency)}</strong>
                      {d.expected_close && <span> · {fmt.date(d.expected_close)}</span>}
                    </span>
                    {d.status === 'open' ? (
                      <label class="kb-move">
                        <span class="sr-only">{t('sales.moveTo', { title: d.title })}</span>
                        <select value={d.stage_id} onChange={(e) => requestMove(d, Number((e.target as HTMLSelectElement).value))}>
                          {data.stages.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
                        </select>
                      </label>
                    ) : (
                      <Badge tone={statusTone(d.status)}>{i18n.label('sales.status', d.status)}</Badge>
                    )}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
      {pending && (
        <ReasonDialog deal={pending.deal} stage={pending.stage} onCancel={() => setPending(null)}
          onConfirm={(reason) => { const p = pending; setPending(null); doMove(p.deal, p.stage, reason); }} />
      )}
    </div>
  );
}

function NewDeal({ pipeline, onCreated }: { pipeline: PipelineT; onCreated: () => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState({ customer_id: '', title: '', amount: '', expected_close: '' });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { customer_id: Number(form.customer_id) || form.customer_id, title: form.title, pipeline_id: pipeline.id };
    if (form.amount) body.amount_minor = Math.round(Number(form.amount.replace(',', '.')) * 100);
    if (form.expected_close) body.expected_close = form.expected_close;
    try {
      await sales.createDeal(body);
      onCreated();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, {}));
    } finally {
      setBusy(false);
    }
  };
  const fieldErr = (f: string) => error?.field(f);
  const input = (id: string, key: keyof typeof form, label: string, type: 'text' | 'date' = 'text', field = key as string) => (
    <div class="field">
      <label for={id}>{label}</label>
      {type === 'date' ? (
        <input id={id} type="date" value={form[key]} onInput={set(key)} aria-invalid={fieldErr(field) ? 'true' : undefined}
          aria-describedby={fieldErr(field) ? `${id}-err` : undefined} />
      ) : (
        <input id={id} type="text" value={form[key]} onInput={set(key)} aria-invalid={fieldErr(field) ? 'true' : undefined}
          aria-describedby={fieldErr(field) ? `${id}-err` : undefined} inputMode={key === 'amount' ? 'decimal' : undefined} />
      )}
      {fieldErr(field) && <p class="field-error" id={`${id}-err`}>{fieldErr(field)}</p>}
    </div>
  );
  return (
    <Card title={t('sales.newDeal')} id="new-deal">
      <form onSubmit={submit} noValidate>
        <div class="form-row">
          {input('nd-customer', 'customer_id', t('sales.customerId'), 'text', 'customer_id')}
          {input('nd-title', 'title', t('sales.dealTitle'))}
          {input('nd-amount', 'amount', t('sales.amount', { currency: pipeline.currency }), 'text', 'amount_minor')}
          {input('nd-close', 'expected_close', t('sales.expectedClose'), 'date')}
        </div>
        {error && !error.errors.length && <p class="form-error" role="alert">{error.detail || error.title}</p>}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('sales.create')}</button>
        </div>
      </form>
    </Card>
  );
}

// ---- one deal ---------------------------------------------------------------

function DealPage({ id }: { id: string }) {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [deal, setDeal] = useState<Deal | null>(null);
  const [stages, setStages] = useState<Stage[]>([]);
  const [tasks, setTasks] = useState<sales.Task[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [moveError, setMoveError] = useState<unknown>(null);
  const [target, setTarget] = useState<number | null>(null);
  const [pending, setPending] = useState<Stage | null>(null);

  const load = useCallback(async () => {
    try {
      const d = await sales.deal(id);
      setDeal(d);
      setTarget(d.stage_id);
      const ps = await sales.pipelines();
      setStages(ps.find((p) => p.id === d.pipeline_id)?.stages ?? []);
      setTasks((await sales.tasks({ deal_id: d.id })).items);
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => { load(); }, [load]);

  const move = async (stage: Stage, reason?: string) => {
    setMoveError(null);
    try {
      setDeal(await sales.moveDeal(Number(id), stage.id, reason));
    } catch (e) {
      setMoveError(e);
    }
  };

  if (error) return <div class="page"><ErrorBox error={error} onRetry={load} /></div>;
  if (!deal) return <div class="page" aria-busy="true"><p class="muted">{t('common.loading')}</p></div>;
  return (
    <div class="page">
      <p><a href="#/pipeline">← {t('nav.pipeline')}</a></p>
      <div class="page-head">
        <h1>{deal.title}</h1>
        <Badge tone={statusTone(deal.status)}>{i18n.label('sales.status', deal.status)}</Badge>
      </div>
      <div class="grid-2">
        <Card title={t('sales.deal')} id="deal-facts">
          <Facts rows={[
            [t('sales.customer'), <a href={`#/customers/${deal.customer_id}`}>{deal.customer_name || `#${deal.customer_id}`}</a>],
            [t('sales.stage'), deal.stage],
            [t('sales.amountPlain'), fmt.money(deal.amount_minor, deal.currency)],
            [t('sales.probability'), `${deal.probability} %`],
            [t('sales.weighted'), fmt.money(deal.weighted_minor, deal.currency)],
            [t('sales.expectedClose'), deal.expected_close ? fmt.date(deal.expected_close) : null],
            [t('sales.owner'), deal.owner_email],
            [t('sales.source'), deal.source],
            [t('sales.reason'), deal.close_reason],
            [t('sales.closedAt'), deal.closed_at ? fmt.dateTime(deal.closed_at) : null],
          ]} />
          {deal.status === 'open' && (
            <form class="form-actions" onSubmit={(e) => {
              e.preventDefault();
              const s = stages.find((x) => x.id === target);
              if (!s || s.id === deal.stage_id) return;
              if (s.kind !== 'open') setPending(s);
              else move(s);
            }}>
              <div class="field field-inline">
                <label for="deal-stage">{t('sales.moveToPlain')}</label>
                <select id="deal-stage" value={target ?? deal.stage_id} onChange={(e) => setTarget(Number((e.target as HTMLSelectElement).value))}>
                  {stages.map((s) => <option key={s.id} value={s.id}>{s.name} ({s.probability} %)</option>)}
                </select>
              </div>
              <button type="submit" class="btn btn-primary">{t('sales.move')}</button>
            </form>
          )}
          {moveError !== null && <ErrorBox error={moveError} />}
        </Card>
        <Card title={t('sales.history')} id="deal-history">
          <table class="table table-compact">
            <thead><tr><th scope="col">{t('sales.when')}</th><th scope="col">{t('sales.from')}</th><th scope="col">{t('sales.to')}</th><th scope="col">{t('sales.reason')}</th></tr></thead>
            <tbody>
              {(deal.history ?? []).map((h) => (
                <tr key={h.id}><td>{fmt.dateTime(h.at)}</td><td>{h.from_stage ?? t('common.none')}</td><td>{h.to_stage}</td><td>{h.reason ?? ''}</td></tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
      {!!deal.products?.length && (
        <Card title={t('sales.products')} id="deal-products">
          <table class="table table-compact">
            <thead><tr><th scope="col">SKU</th><th scope="col">{t('sales.product')}</th><th scope="col">{t('sales.quantity')}</th><th scope="col">{t('sales.unitPrice')}</th></tr></thead>
            <tbody>{deal.products.map((p) => <tr key={p.product_id}><td>{p.sku}</td><td>{p.name}</td><td>{p.quantity}</td><td>{fmt.money(p.unit_price_minor, deal.currency)}</td></tr>)}</tbody>
          </table>
        </Card>
      )}
      <Card title={t('tasks.title')} id="deal-tasks">
        {tasks.length ? (
          <ul class="plain-list">
            {tasks.map((x) => <li key={x.id}>{i18n.label('tasks.kind', x.kind)} · {x.title} · {x.due_at ? fmt.dateTime(x.due_at) : t('common.none')} · {i18n.label('tasks.status', x.status)}</li>)}
          </ul>
        ) : <p class="muted">{t('tasks.none')}</p>}
      </Card>
      {pending && (
        <ReasonDialog deal={deal} stage={pending} onCancel={() => setPending(null)}
          onConfirm={(reason) => { const s = pending; setPending(null); move(s, reason); }} />
      )}
    </div>
  );
}

// ---- forecast ---------------------------------------------------------------

function currentQuarter(): string {
  const d = new Date();
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

function ForecastPage({ period, mine, team }: { period: string | null; mine: boolean; team: string }) {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [value, setValue] = useState(period || currentQuarter());
  const [onlyMine, setOnlyMine] = useState(mine);
  const [teamValue, setTeamValue] = useState(team);
  const [data, setData] = useState<Forecast | null>(null);
  const [error, setError] = useState<unknown>(null);
  const p = period || currentQuarter();

  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    sales.forecast(p, { owner_id: mine ? 'me' : undefined, team: team || undefined }, ac.signal).then(setData, (e) => { if (!isAbort(e)) setError(e); });
    return () => ac.abort();
  }, [p, mine, team]);

  const pct = (v: number | null) => (v === null || v === undefined ? t('common.none') : `${(v * 100).toFixed(1)} %`);
  return (
    <div class="page">
      <h1>{t('sales.forecast')}</h1>
      <SubNav current="forecast" />
      <form class="filters" onSubmit={(e) => {
        e.preventDefault();
        const q = new URLSearchParams({ period: value.trim() });
        if (onlyMine) q.set('owner', 'me');
        else if (teamValue.trim()) q.set('team', teamValue.trim());
        navigate(`/pipeline/forecast?${q.toString()}`);
      }}>
        <div class="field field-inline">
          <label for="fc-period">{t('sales.period')}</label>
          <input id="fc-period" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} placeholder="2026-Q4" aria-describedby="fc-period-hint" />
          <span id="fc-period-hint" class="muted">{t('sales.periodHint')}</span>
        </div>
        <div class="field field-inline">
          <input id="fc-mine" type="checkbox" checked={onlyMine} onChange={(e) => setOnlyMine((e.target as HTMLInputElement).checked)} />
          <label for="fc-mine">{t('sales.onlyMine')}</label>
        </div>
        <div class="field field-inline">
          <label for="fc-team">{t('sales.team')}</label>
          <input id="fc-team" value={teamValue} disabled={onlyMine} onInput={(e) => setTeamValue((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit" class="btn">{t('sales.show')}</button>
      </form>
      {error !== null && <p class="form-error" role="alert">{errorText(error, i18n)}</p>}
      {!data && !error && <p class="muted" aria-busy="true">{t('common.loading')}</p>}
      {data && !error && (
        <>
          <div class="stats-row">
            <Stat label={t('sales.won')} value={fmt.money(data.total.won_minor, data.currency)} />
            <Stat label={t('sales.weighted')} value={fmt.money(data.total.weighted_minor, data.currency)} />
            <Stat label={t('sales.forecastTotal')} value={fmt.money(data.total.forecast_minor, data.currency)} />
            <Stat label={t('sales.objective')} value={data.total.objective_minor === null ? t('common.none') : fmt.money(data.total.objective_minor, data.currency)} />
            <Stat label={t('sales.attainment')} value={pct(data.total.forecast_attainment)} />
          </div>
          {data.months.length > 1 || data.total.open_deals || data.total.won_deals ? (
            <ForecastChart data={data} />
          ) : (
            <EmptyState title={t('sales.noForecast')} />
          )}
          <div class="table-wrap">
            <table class="table" aria-label={t('sales.forecastTable')}>
              <thead><tr><th scope="col">{t('sales.month')}</th><th scope="col">{t('sales.won')}</th><th scope="col">{t('sales.weighted')}</th><th scope="col">{t('sales.forecastTotal')}</th><th scope="col">{t('sales.objective')}</th><th scope="col">{t('sales.openDeals')}</th></tr></thead>
              <tbody>
                {data.months.map((m) => (
                  <tr key={m.month}>
                    <th scope="row">{fmt.month(m.month)}</th>
                    <td>{fmt.money(m.won_minor, data.currency)}</td>
                    <td>{fmt.money(m.weighted_minor, data.currency)}</td>
                    <td>{fmt.money(m.forecast_minor, data.currency)}</td>
                    <td>{m.objective_minor === null ? t('common.none') : fmt.money(m.objective_minor, data.currency)}</td>
                    <td>{m.open_deals}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
    </div>
  );
}

/** Won and weighted pipeline stacked per month, the objective as a line. */
function ForecastChart({ data }: { data: Forecast }) {
  const { t, fmt } = useI18n();
  const canvas = useRef<HTMLCanvasElement>(null);
  const title = t('sales.chartTitle');
  useEffect(() => {
    if (!canvas.current) return undefined;
    const labels = data.months.map((m) => fmt.month(m.month));
    const major = (v: number) => v / 100;
    const reduced = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { type: 'bar', label: t('sales.won'), data: data.months.map((m) => major(m.won_minor)), backgroundColor: '#2e7d4f', stack: 'f' },
          { type: 'bar', label: t('sales.weighted'), data: data.months.map((m) => major(m.weighted_minor)), backgroundColor: '#8fb3e8', stack: 'f' },
          { type: 'line', label: t('sales.objective'), data: data.months.map((m) => (m.objective_minor === null ? null : major(m.objective_minor))), borderColor: '#b3261e', backgroundColor: '#b3261e', pointRadius: 3 },
        ],
      } as never,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduced ? false : { duration: 300 },
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmt.money(Math.round(Number(c.parsed.y) * 100), data.currency)}` } } },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
      },
    });
    return () => chart.destroy();
  }, [JSON.stringify(data), fmt.locale]);
  return (
    <figure class="chart card">
      <figcaption>{title}</figcaption>
      <div class="chart-box" style={{ height: '280px' }}>
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
    </figure>
  );
}

// ---- report -----------------------------------------------------------------

function ReportPage({ from, to }: { from: string | null; to: string | null }) {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const year = new Date().getUTCFullYear();
  const f = from || `${year}-01-01`;
  const tt = to || `${year}-12-31`;
  const [range, setRange] = useState({ from: f, to: tt });
  const [data, setData] = useState<sales.SalesReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    sales.salesReport(f, tt, ac.signal).then(setData, (e) => { if (!isAbort(e)) setError(e); });
    return () => ac.abort();
  }, [f, tt]);
  const pct = (v: number | null) => (v === null || v === undefined ? t('common.none') : `${(v * 100).toFixed(1)} %`);
  return (
    <div class="page">
      <h1>{t('sales.report')}</h1>
      <SubNav current="report" />
      <form class="filters" onSubmit={(e) => { e.preventDefault(); navigate(`/pipeline/report?from=${range.from}&to=${range.to}`); }}>
        <div class="field field-inline">
          <label for="rp-from">{t('sales.from')}</label>
          <input id="rp-from" type="date" value={range.from} onInput={(e) => setRange({ ...range, from: (e.target as HTMLInputElement).value })} />
        </div>
        <div class="field field-inline">
          <label for="rp-to">{t('sales.to')}</label>
          <input id="rp-to" type="date" value={range.to} onInput={(e) => setRange({ ...range, to: (e.target as HTMLInputElement).value })} />
        </div>
        <button type="submit" class="btn">{t('sales.show')}</button>
      </form>
      {error !== null && <p class="form-error" role="alert">{errorText(error, i18n)}</p>}
      {!data && !error && <p class="muted" aria-busy="true">{t('common.loading')}</p>}
      {data && !error && (
        <>
          <div class="stats-row">
            <Stat label={t('sales.winRate')} value={pct(data.win_rate)} />
            <Stat label={t('sales.wonLost')} value={`${data.won_deals} / ${data.lost_deals}`} />
            <Stat label={t('sales.avgCycle')} value={data.avg_cycle_days === null ? t('common.none') : t('sales.days', { n: data.avg_cycle_days.toFixed(1) })} />
          </div>
          <Card title={t('sales.byOwner')} id="rp-owner">
            <div class="table-wrap">
              <table class="table table-compact">
                <thead><tr><th scope="col">{t('sales.owner')}</th><th scope="col">{t('sales.openDeals')}</th><th scope="col">{t('sales.pipelineAmount')}</th><th scope="col">{t('sales.weighted')}</th><th scope="col">{t('sales.won')}</th><th scope="col">{t('sales.wonLost')}</th></tr></thead>
                <tbody>
                  {data.by_owner.map((o) => (
                    <tr key={`${o.owner_id}-${o.currency}`}>
                      <th scope="row">{o.owner_email ?? t('sales.noOwner')}</th>
                      <td>{o.open_deals}</td>
                      <td>{fmt.money(o.pipeline_minor, o.currency)}</td>
                      <td>{fmt.money(o.weighted_minor, o.currency)}</td>
                      <td>{fmt.money(o.won_minor, o.currency)}</td>
                      <td>{o.won_deals} / {o.lost_deals}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
          <Card title={t('sales.byStage')} id="rp-stage">
            <div class="table-wrap">
              <table class="table table-compact">
                <thead><tr><th scope="col">{t('sales.stage')}</th><th scope="col">{t('sales.openDeals')}</th><th scope="col">{t('sales.pipelineAmount')}</th><th scope="col">{t('sales.weighted')}</th></tr></thead>
                <tbody>
                  {data.by_stage.map((s) => (
                    <tr key={`${s.stage_id}-${s.currency}`}><th scope="row">{s.stage}</th><td>{s.count}</td><td>{fmt.money(s.amount_minor, s.currency)}</td><td>{fmt.money(s.weighted_minor, s.currency)}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
          <Card title={t('sales.activity')} id="rp-activity">
            <div class="table-wrap">
              <table class="table table-compact">
                <thead><tr><th scope="col">{t('sales.rep')}</th><th scope="col">{t('tasks.kind.call')}</th><th scope="col">{t('tasks.kind.meeting')}</th><th scope="col">{t('tasks.kind.email')}</th><th scope="col">{t('tasks.kind.todo')}</th><th scope="col">{t('tasks.overdue')}</th><th scope="col">{t('sales.interactions')}</th></tr></thead>
                <tbody>
                  {data.activity.map((a) => (
                    <tr key={a.user_id}><th scope="row">{a.email}</th><td>{a.calls}</td><td>{a.meetings}</td><td>{a.emails}</td><td>{a.todos}</td><td>{a.tasks_open_overdue}</td><td>{a.interactions}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
        </>
      )}
    </div>
  );
}

// ---- leads ------------------------------------------------------------------

const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'disqualified'] as const;

function LeadsPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const [status, setStatus] = useState('');
  const [items, setItems] = useState<sales.Lead[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState('');
  const [converting, setConverting] = useState<sales.Lead | null>(null);
  const load = useCallback(async () => {
    setError(null);
    try {
      setItems((await sales.leads(status || undefined)).items);
    } catch (e) {
      setError(e);
    }
  }, [status]);
  useEffect(() => { load(); }, [load]);
  const rescore = async () => {
    try {
      const n = await sales.rescoreLeads();
      setNote(t('leads.rescored', { n }));
      await load();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>{t('leads.title')}</h1>
        <button type="button" class="btn" onClick={rescore}>{t('leads.rescore')}</button>
      </div>
      <SubNav current="leads" />
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field field-inline">
          <label for="ld-status">{t('tasks.statusLabel')}</label>
          <select id="ld-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">{t('common.all')}</option>
            {[...LEAD_STATUSES, 'converted'].map((s) => <option key={s} value={s}>{i18n.label('leads.status', s)}</option>)}
          </select>
        </div>
      </form>
      <p class="sr-only" role="status" aria-live="polite">{note}</p>
      {error !== null && <ErrorBox error={error} onRetry={load} />}
      {converting && <ConvertLead lead={converting} onDone={(l) => { setConverting(null); setNote(t('leads.convertedNote', { name: l.customer_name ?? '' })); load(); }} onCancel={() => setConverting(null)} />}
      {items && !items.length && <EmptyState title={t('leads.none')}>{t('leads.noneHelp')}</EmptyState>}
      {items && !!items.length && (
        <div class="table-wrap">
          <table class="table" aria-label={t('leads.list')}>
            <thead><tr><th scope="col">{t('sales.customer')}</th><th scope="col">{t('leads.score')}</th><th scope="col">{t('leads.fit')}</th><th scope="col">{t('leads.behaviour')}</th><th scope="col">{t('tasks.statusLabel')}</th><th scope="col"><span class="sr-only">{t('tasks.actions')}</span></th></tr></thead>
            <tbody>
              {items.map((l) => (
                <tr key={l.customer_id}>
                  <th scope="row"><a href={`#/customers/${l.customer_id}`}>{l.customer_name || `#${l.customer_id}`}</a></th>
                  <td><strong>{l.score}</strong></td>
                  <td>{l.fit}</td>
                  <td>{l.behaviour}</td>
                  <td>
                    {l.status === 'converted' ? (
                      <a href={`#/pipeline/deal/${l.deal_id}`}>{i18n.label('leads.status', l.status)}</a>
                    ) : (
                      <LeadStatus lead={l} onSaved={(x) => { setNote(t('leads.savedNote', { name: x.customer_name ?? '' })); load(); }} />
                    )}
                  </td>
                  <td>{l.status !== 'converted' && l.status !== 'disqualified' && (
                    <button type="button" class="btn" aria-label={t('leads.convertNamed', { name: l.customer_name ?? '' })} onClick={() => setConverting(l)}>{t('leads.convert')}</button>
                  )}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function LeadStatus({ lead, onSaved }: { lead: sales.Lead; onSaved: (l: sales.Lead) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [status, setStatus] = useState<string>(lead.status);
  const [reason, setReason] = useState(lead.reason ?? '');
  const [error, setError] = useState<unknown>(null);
  const id = `ls-${lead.customer_id}`;
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      onSaved(await sales.setLeadStatus(lead.customer_id, status, reason.trim() || undefined));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="lead-status" onSubmit={save}>
      <label class="sr-only" for={`${id}-s`}>{t('leads.statusOf', { name: lead.customer_name ?? '' })}</label>
      <select id={`${id}-s`} value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
        {LEAD_STATUSES.map((s) => <option key={s} value={s}>{i18n.label('leads.status', s)}</option>)}
      </select>
      {status === 'disqualified' && (
        <>
          <label class="sr-only" for={`${id}-r`}>{t('sales.reason')}</label>
          <input id={`${id}-r`} placeholder={t('sales.reason')} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
        </>
      )}
      {status !== lead.status && <button type="submit" class="btn">{t('common.save')}</button>}
      {error !== null && <p class="field-error" role="alert">{errorText(error, i18n)}</p>}
    </form>
  );
}

function ConvertLead({ lead, onDone, onCancel }: { lead: sales.Lead; onDone: (l: sales.Lead) => void; onCancel: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [title, setTitle] = useState('');
  const [amount, setAmount] = useState('');
  const [close, setClose] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!title.trim()) {
      setError(new ApiError(422, { errors: [{ field: 'title', message: t('leads.titleRequired') }] }));
      document.getElementById('cv-title')?.focus();
      return;
    }
    const body: Record<string, unknown> = { title };
    if (amount) body.amount_minor = Math.round(Number(amount.replace(',', '.')) * 100);
    if (close) body.expected_close = close;
    try {
      onDone(await sales.convertLead(lead.customer_id, body));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, {}));
    }
  };
  const fe = (f: string) => error?.field(f);
  return (
    <Card title={t('leads.convertNamed', { name: lead.customer_name ?? '' })} id="convert">
      <form onSubmit={submit} noValidate>
        <div class="form-row">
          <div class="field">
            <label for="cv-title">{t('sales.dealTitle')}</label>
            <input id="cv-title" value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} aria-invalid={fe('title') ? 'true' : undefined} aria-describedby={fe('title') ? 'cv-title-err' : undefined} />
            {fe('title') && <p class="field-error" id="cv-title-err">{fe('title')}</p>}
          </div>
          <div class="field">
            <label for="cv-amount">{t('sales.amountPlain')}</label>
            <input id="cv-amount" inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} aria-invalid={fe('amount_minor') ? 'true' : undefined} aria-describedby={fe('amount_minor') ? 'cv-amount-err' : undefined} />
            {fe('amount_minor') && <p class="field-error" id="cv-amount-err">{fe('amount_minor')}</p>}
          </div>
          <div class="field">
            <label for="cv-close">{t('sales.expectedClose')}</label>
            <input id="cv-close" type="date" value={close} onInput={(e) => setClose((e.target as HTMLInputElement).value)} />
          </div>
        </div>
        {error && !error.errors.length && <p class="form-error" role="alert">{errorText(error, i18n)}</p>}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">{t('leads.convert')}</button>
          <button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button>
        </div>
      </form>
    </Card>
  );
}
