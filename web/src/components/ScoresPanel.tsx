// The scores of the 360° view: seed RFM, quintile segment, ABC class, CLV
// and P(alive), the churn probability, and the recommended products (item-
// to-item collaborative filtering, refused offers left out).
import { useEffect, useState } from 'preact/hooks';
import * as an from '../api/analytics';
import { isAbort } from '../api';
import { useI18n } from '../i18n';
import { Card, Facts } from './bits';

interface Scores {
  rfm?: { score: number } | null;
  quintile?: { label: string | null; segment: string | null } | null;
  abc?: { class: string } | null;
  clv?: { clv: number | null; p_alive: number | null } | null;
  churn?: { probability: number | null; horizon_days: number } | null;
}

export function ScoresPanel({ customerId, scores, currency }: { customerId: number; scores?: Scores | null; currency?: string | null }) {
  const { t, fmt } = useI18n();
  const [rec, setRec] = useState<an.Recommendations | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    an.recommendations(customerId, ac.signal).then(setRec, (e) => {
      if (!isAbort(e)) setRec(null);
    });
    return () => ac.abort();
  }, [customerId]);
  const pct = new Intl.NumberFormat(fmt.locale, { style: 'percent', maximumFractionDigits: 0 });
  const cur = currency || 'EUR';
  const s = scores ?? {};
  return (
    <Card title={t('scores.title')} id="scores">
      <Facts
        rows={[
          [t('scores.rfm'), s.rfm ? fmt.number(Math.round(s.rfm.score * 10) / 10) : null],
          [t('scores.segment'), s.quintile?.label ?? null],
          [t('scores.abc'), s.abc?.class ?? null],
          [t('scores.clv'), typeof s.clv?.clv === 'number' ? fmt.money(Math.round(s.clv.clv * 100), cur) : null],
          [t('scores.alive'), typeof s.clv?.p_alive === 'number' ? pct.format(s.clv.p_alive) : null],
          [t('scores.churn', { days: s.churn?.horizon_days ?? 0 }), typeof s.churn?.probability === 'number' ? pct.format(s.churn.probability) : null],
        ]}
      />
      {rec && rec.products.length > 0 && (
        <>
          <h3 class="small-head">{t('scores.recommended')}</h3>
          <ul class="plain reco">
            {rec.products.map((p) => (
              <li key={p.id}>
                {p.name} <span class="muted">({p.sku})</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </Card>
  );
}
