// The service desk's text-mining panel: what customers write about (top
// terms and phrases by tf-idf), emerging topics (bars of the share's rise
// against the previous period) and the words of low satisfaction scores, for
// a period and a source; a button refreshes the index (a background job).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import * as tm from '../api/textmining';
import type { Emerging, Satisfaction, Terms, Topic } from '../api/textmining';
import { useI18n } from '../i18n';
import { Card, EmptyState, ErrorBox } from './bits';
import './textmining.css';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const PERIODS = ['30d', '90d', '365d'] as const;
const SOURCES = ['all', 'complaint', 'ticket', 'survey'] as const;

interface Data { terms: Terms; emerging: Emerging; satisfaction: Satisfaction }

/** Horizontal bars of the emerging topics' lift, with the figures as a hidden table. */
function TopicBars({ topics, title }: { topics: Topic[]; title: string }) {
  const { t, fmt } = useI18n();
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return undefined;
    const reduced = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: topics.map((x) => x.label),
        datasets: [{ label: t('tm.lift'), data: topics.map((x) => x.lift), backgroundColor: '#c2410c' }],
      },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: reduced ? false : { duration: 300 },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `× ${Number(c.parsed.x).toFixed(1)}` } } },
        scales: { x: { beginAtZero: true } },
      },
    });
    return () => chart.destroy();
  }, [topics, t]);
  return (
    <figure class="tm-bars" style={{ height: `${Math.max(120, 28 * topics.length + 40)}px` }}>
      <canvas ref={canvas} role="img" aria-label={title} />
      <table class="sr-only">
        <caption>{title}</caption>
        <thead><tr><th scope="col">{t('tm.term')}</th><th scope="col">{t('tm.count')}</th><th scope="col">{t('tm.previous')}</th><th scope="col">{t('tm.lift')}</th></tr></thead>
        <tbody>
          {topics.map((x) => <tr key={x.term}><th scope="row">{x.label}</th><td>{x.count}</td><td>{x.previous}</td><td>{fmt.number(Number(x.lift.toFixed(1)))}</td></tr>)}
        </tbody>
      </table>
    </figure>
  );
}

export function TextMiningPanel() {
  const { t, label } = useI18n();
  const [period, setPeriod] = useState<string>('30d');
  const [source, setSource] = useState<string>('complaint');
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [progress, setProgress] = useState<number | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const scope = { source, period, limit: 10 };
      const [terms, emerging, satisfaction] = await Promise.all([tm.terms(scope), tm.emerging(scope), tm.satisfaction({ ...scope, source: source === 'complaint' ? 'all' : source })]);
      setData({ terms, emerging, satisfaction });
    } catch (e) {
      setError(e);
    }
  }, [source, period]);
  useEffect(() => { load(); }, [load]);

  const refresh = async () => {
    setError(null);
    setProgress(0);
    try {
      const id = await tm.refresh();
      for (;;) {
        const j = await tm.job(id);
        setProgress(j.progress);
        if (j.state === 'failed') throw new Error(j.error?.detail || t('tm.refreshFailed'));
        if (j.state === 'done') break;
        await new Promise((r) => setTimeout(r, 300));
      }
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setProgress(null);
    }
  };

  const actions = (
    <div class="form-actions tm-controls">
      <label class="sr-only" for="tm-source">{t('tm.source')}</label>
      <select id="tm-source" value={source} onChange={(e) => setSource((e.target as HTMLSelectElement).value)}>
        {SOURCES.map((s) => <option key={s} value={s}>{label('tm.src', s)}</option>)}
      </select>
      <label class="sr-only" for="tm-period">{t('tm.period')}</label>
      <select id="tm-period" value={period} onChange={(e) => setPeriod((e.target as HTMLSelectElement).value)}>
        {PERIODS.map((p) => <option key={p} value={p}>{label('tm.per', p)}</option>)}
      </select>
      <button type="button" class="btn" onClick={refresh} disabled={progress !== null} aria-busy={progress !== null}>
        {progress === null ? t('tm.refresh') : t('tm.refreshing', { pct: Math.round(progress * 100) })}
      </button>
    </div>
  );

  return (
    <Card title={t('tm.title')} id="textmining" actions={actions}>
      {error !== null && <ErrorBox error={error} onRetry={load} />}
      {data === null && error === null && <p class="muted" aria-busy="true">{t('common.loading')}</p>}
      {data && data.terms.documents === 0 && <EmptyState title={t('tm.empty')} icon="✎"><p>{t('tm.emptyHint')}</p></EmptyState>}
      {data && data.terms.documents > 0 && (
        <div class="tm-grid">
          <div>
            <h3>{t('tm.topTerms', { n: data.terms.documents })}</h3>
            <ol class="tm-list">
              {data.terms.terms.map((x) => <li key={x.term}><span>{x.label}</span> <span class="muted">{x.count}</span></li>)}
            </ol>
            {data.terms.phrases.length > 0 && <>
              <h3>{t('tm.phrases')}</h3>
              <ol class="tm-list">
                {data.terms.phrases.map((x) => <li key={x.term}><span>{x.label}</span> <span class="muted">{x.count}</span></li>)}
              </ol>
            </>}
          </div>
          <div>
            <h3>{t('tm.emerging')}</h3>
            {data.emerging.topics.length ? <TopicBars topics={data.emerging.topics} title={t('tm.emerging')} /> : <p class="muted">{t('tm.noEmerging')}</p>}
          </div>
          <div>
            <h3>{t('tm.lowSat')}</h3>
            {data.satisfaction.terms.length ? (
              <table class="table tm-low">
                <thead><tr><th scope="col">{t('tm.term')}</th><th scope="col">{t('tm.texts')}</th><th scope="col">{t('tm.meanScore')}</th></tr></thead>
                <tbody>
                  {data.satisfaction.terms.map((x) => (
                    <tr key={x.term}><th scope="row">{x.label}</th><td>{x.docs}</td><td>{Math.round(x.mean * 100)} % <span class="muted">({x.diff > 0 ? '+' : ''}{Math.round(x.diff * 100)})</span></td></tr>
                  ))}
                </tbody>
              </table>
            ) : <p class="muted">{t('tm.noLowSat')}</p>}
          </div>
        </div>
      )}
    </Card>
  );
}
