// Dashboard: KPI charts from GET /analytics/kpis once the server has it;
// an empty state until then.
import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import type { Kpis } from '../types';
import { fractionDigits, useI18n } from '../i18n';
import { EmptyState } from '../components/bits';
import { LineChart } from '../components/LineChart';

export function Dashboard() {
  const { t } = useI18n();
  const [data, setData] = useState<Kpis | null | undefined>(undefined);

  useEffect(() => {
    const ac = new AbortController();
    api.kpis(ac.signal).then(setData, (e) => {
      if (!api.isAbort(e)) setData(null);
    });
    return () => ac.abort();
  }, []);

  return (
    <div class="page">
      <h1>{t('dash.title')}</h1>
      {data === undefined && <p class="muted" aria-busy="true">{t('common.loading')}</p>}
      {data === null && (
        <EmptyState title={t('dash.emptyTitle')} icon="◫">
          {t('dash.emptyBody')}
        </EmptyState>
      )}
      {data && data.series.length === 0 && (
        <EmptyState title={t('dash.emptyTitle')} icon="◫">
          {t('dash.emptyBody')}
        </EmptyState>
      )}
      {data && data.series.length > 0 && <KpiCharts data={data} />}
    </div>
  );
}

function KpiCharts({ data }: { data: Kpis }) {
  const { t, fmt } = useI18n();
  const currency = data.currency || 'EUR';
  const scale = 10 ** fractionDigits(currency);
  const labels = data.series.map((p) => fmt.month(p.month));
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const revenue = data.series.map((p) => (typeof p.revenue_minor === 'number' ? p.revenue_minor / scale : null));
  const money = (v: number) => fmt.money(Math.round(v * scale), currency);
  const wholeMoney = new Intl.NumberFormat(fmt.locale, { style: 'currency', currency, maximumFractionDigits: 0 });
  const hasCounts = data.series.some((p) => typeof p.active === 'number' || typeof p.new === 'number' || typeof p.lost === 'number');
  return (
    <div class="grid-2">
      <div class="card">
        <LineChart title={t('dash.revenue')} labels={labels} series={[{ label: t('dash.revenue'), values: revenue, color: '#2453a6' }]} format={money} tickFormat={(v) => wholeMoney.format(v)} locale={fmt.locale} />
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
    </div>
  );
}
