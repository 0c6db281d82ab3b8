// Dashboard: the seed's KPIs as monthly trends (GET /analytics/kpis), the
// ABC Pareto curve, the RFM segments and the loyalty x profitability matrix
// as heat maps, and the cohort retention heat map. Each panel loads on its
// own and is left out when its endpoint has nothing to show.
import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import * as an from '../api/analytics';
import type { Kpis } from '../types';
import { fractionDigits, useI18n } from '../i18n';
import { EmptyState } from '../components/bits';
import { LineChart } from '../components/LineChart';
import { HeatTable } from '../components/HeatTable';
import './dashboard.css';

function useLoad<T>(fn: (s: AbortSignal) => Promise<T | null>): T | null | undefined {
  const [v, setV] = useState<T | null | undefined>(undefined);
  useEffect(() => {
    const ac = new AbortController();
    fn(ac.signal).then(setV, (e) => {
      if (!api.isAbort(e)) setV(null);
    });
    return () => ac.abort();
  }, []);
  return v;
}

export function Dashboard() {
  const { t } = useI18n();
  const data = useLoad<Kpis>((s) => api.kpis(s));
  const abc = useLoad((s) => an.abc(s));
  const rfm = useLoad((s) => an.rfm(s));
  const matrix = useLoad((s) => an.matrix(s));
  const cohorts = useLoad((s) => an.cohorts(s));

  return (
    <div class="page">
      <h1>{t('dash.title')}</h1>
      {data === undefined && <p class="muted" aria-busy="true">{t('common.loading')}</p>}
      {(data === null || (data && data.series.length === 0)) && (
        <EmptyState title={t('dash.emptyTitle')} icon="◫">
          {t('dash.emptyBody')}
        </EmptyState>
      )}
      {data && data.series.length > 0 && <KpiCharts data={data} />}
      <div class="grid-2">
        {abc && abc.summary.customers > 0 && <Pareto data={abc} />}
        {matrix && matrix.summary.customers > 0 && <Matrix data={matrix} />}
        {rfm && rfm.summary.customers > 0 && <RfmSegments data={rfm} />}
      </div>
      {cohorts && cohorts.cohorts.some((c) => c.size > 0) && <div class="dash-wide"><CohortMap data={cohorts} /></div>}
    </div>
  );
}

function KpiCharts({ data }: { data: Kpis }) {
  const { t, fmt } = useI18n();
  const currency = data.currency || 'EUR';
  const scale = 10 ** fractionDigits(currency);
  const labels = data.series.map((p) => fmt.month(p.month));
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const money = (v: number) => fmt.money(Math.round(v * scale), currency);
  const minor = (v: unknown) => (typeof v === 'number' ? v / scale : null);
  const wholeMoney = new Intl.NumberFormat(fmt.locale, { style: 'currency', currency, maximumFractionDigits: 0 });
  const pct = new Intl.NumberFormat(fmt.locale, { style: 'percent', maximumFractionDigits: 1 });
  const has = (k: string) => data.series.some((p) => typeof p[k] === 'number');
  const hasCounts = has('active') || has('new') || has('lost');
  return (
    <div class="grid-2">
      <div class="card">
        <LineChart title={t('dash.revenue')} labels={labels} series={[{ label: t('dash.revenue'), values: data.series.map((p) => minor(p.revenue_minor)), color: '#2453a6' }]} format={money} tickFormat={(v) => wholeMoney.format(v)} locale={fmt.locale} />
      </div>
      {hasCounts && (
        <div class="card">
          <LineChart
            title={t('dash.customers')}
            labels={labels}
            locale={fmt.locale}
            format={(v) => fmt.number(v)}
            series={[
              { label: t('dash.active'), values: data.series.map((p) => num(p.active)), color: '#1f8a5b' },
              { label: t('dash.new'), values: data.series.map((p) => num(p.new)), color: '#2453a6' },
              { label: t('dash.lost'), values: data.series.map((p) => num(p.lost)), color: '#c0392b' },
            ]}
          />
        </div>
      )}
      {(has('churn_rate') || has('attrition_rate') || has('repeat_purchase_rate')) && (
        <div class="card">
          <LineChart
            title={t('dash.rates')}
            labels={labels}
            locale={fmt.locale}
            format={(v) => pct.format(v)}
            series={[
              { label: t('dash.churn'), values: data.series.map((p) => num(p.churn_rate)), color: '#c0392b' },
              { label: t('dash.attrition'), values: data.series.map((p) => num(p.attrition_rate)), color: '#8e44ad' },
              { label: t('dash.repeat'), values: data.series.map((p) => num(p.repeat_purchase_rate)), color: '#1f8a5b' },
            ]}
          />
        </div>
      )}
      {has('average_basket_minor') && (
        <div class="card">
          <LineChart
            title={t('dash.basket')}
            labels={labels}
            locale={fmt.locale}
            format={money}
            tickFormat={(v) => wholeMoney.format(v)}
            series={[
              { label: t('dash.basketLine'), values: data.series.map((p) => minor(p.average_basket_minor)), color: '#2453a6' },
              { label: t('dash.arpu'), values: data.series.map((p) => minor(p.arpu_minor)), color: '#d35400' },
            ]}
          />
        </div>
      )}
      {(has('nps') || has('csat')) && (
        <div class="card">
          <LineChart
            title={t('dash.satisfaction')}
            labels={labels}
            locale={fmt.locale}
            format={(v) => fmt.number(Math.round(v * 10) / 10)}
            series={[
              { label: t('dash.nps'), values: data.series.map((p) => num(p.nps)), color: '#2453a6' },
              { label: t('dash.csat'), values: data.series.map((p) => (typeof p.csat === 'number' ? p.csat * 100 : null)), color: '#1f8a5b' },
            ]}
          />
        </div>
      )}
    </div>
  );
}

function Pareto({ data }: { data: an.AbcSummary }) {
  const { t, fmt } = useI18n();
  const pct = new Intl.NumberFormat(fmt.locale, { style: 'percent', maximumFractionDigits: 0 });
  const curve = data.summary.curve;
  return (
    <div class="card">
      <LineChart
        title={t('dash.pareto')}
        labels={curve.map(([c]) => pct.format(c))}
        locale={fmt.locale}
        format={(v) => pct.format(v)}
        series={[{ label: t('dash.paretoLine'), values: curve.map(([, r]) => r), color: '#2453a6' }]}
      />
    </div>
  );
}

function Matrix({ data }: { data: an.MatrixSummary }) {
  const { t, fmt } = useI18n();
  const q = data.summary.quadrants;
  const pct = new Intl.NumberFormat(fmt.locale, { style: 'percent', maximumFractionDigits: 1 });
  const cell = (k: an.Quadrant) => q[k]?.customer_share ?? null;
  return (
    <div class="card">
      <HeatTable
        title={t('dash.matrix')}
        columns={[t('dash.shortRel'), t('dash.longRel')]}
        rows={[
          { label: t('dash.highProfit'), cells: [cell('butterflies'), cell('true_friends')] },
          { label: t('dash.lowProfit'), cells: [cell('strangers'), cell('barnacles')] },
        ]}
        format={(v) => pct.format(v)}
      />
      <p class="muted small">{t('dash.matrixNote')}</p>
    </div>
  );
}

function RfmSegments({ data }: { data: an.RfmSummary }) {
  const { t, fmt } = useI18n();
  const pct = new Intl.NumberFormat(fmt.locale, { style: 'percent', maximumFractionDigits: 1 });
  const segs = data.summary.segments.filter((s) => s.customers > 0);
  const top = Math.max(...segs.map((s) => s.share), 0.0001);
  return (
    <div class="card">
      <HeatTable
        title={t('dash.rfm')}
        columns={[t('dash.share')]}
        noteLabel={t('dash.customersCol')}
        rows={segs.map((s) => ({ label: s.label ?? s.name ?? '—', note: fmt.number(s.customers), cells: [s.share / top] }))}
        format={(v) => pct.format(v * top)}
      />
    </div>
  );
}

function CohortMap({ data }: { data: an.Cohorts }) {
  const { t, fmt } = useI18n();
  const pct = new Intl.NumberFormat(fmt.locale, { style: 'percent', maximumFractionDigits: 0 });
  const n = data.cohorts.length;
  return (
    <div class="card">
      <HeatTable
        title={t('dash.cohorts')}
        noteLabel={t('dash.cohortSize')}
        columns={Array.from({ length: n }, (_, k) => `M+${k}`)}
        rows={data.cohorts.map((c) => ({ label: fmt.month(c.month), note: fmt.number(c.size), cells: c.size ? c.retention : [] }))}
        format={(v) => pct.format(v)}
      />
    </div>
  );
}
