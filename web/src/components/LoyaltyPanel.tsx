// The loyalty panel of the 360° view: card, balance, tier and what the next
// tier needs, points expiring soon, the last ledger entries, a redemption;
// enrolment when the customer has not joined; the survey attitudes.
// onChange tells the page that the ledger moved (the timeline reloads).
import { useCallback, useEffect, useState } from 'preact/hooks';
import * as loy from '../api/loyalty';
import type { Attitudes, Entry, Member, Reward } from '../api/loyalty';
import { useI18n } from '../i18n';
import { Card, ErrorBox, Facts, errorText } from './bits';

export function LoyaltyPanel({ customerId, kind, onChange }: { customerId: number; kind?: string; onChange?: () => void }) {
  const i18n = useI18n();
  const { t, fmt, label } = i18n;
  const [m, setM] = useState<Member | null | undefined>(undefined);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [rewards, setRewards] = useState<Reward[]>([]);
  const [att, setAtt] = useState<Attitudes | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [msg, setMsg] = useState('');
  const [reward, setReward] = useState('');
  const [code, setCode] = useState('');

  const load = useCallback(async () => {
    setError(null);
    try {
      const member = await loy.member(customerId);
      setM(member);
      setAtt(await loy.attitudes(customerId).catch(() => null));
      if (member) {
        const [l, r] = await Promise.all([loy.ledger(customerId, 5), loy.rewards()]);
        setEntries(l);
        setRewards(r);
      }
    } catch (e) {
      setError(e);
    }
  }, [customerId]);
  useEffect(() => {
    load();
  }, [load]);

  const enrol = async (e: Event) => {
    e.preventDefault();
    setMsg('');
    try {
      await loy.enrol(customerId, code.trim() || undefined);
      setMsg(t('loy.enrolled'));
      await load();
      onChange?.();
    } catch (err) {
      setMsg(errorText(err, i18n));
    }
  };
  const redeem = async (e: Event) => {
    e.preventDefault();
    if (!reward) return;
    setMsg('');
    try {
      // one id per click: a double submit cannot spend twice
      await loy.redeem(customerId, Number(reward), `web-${customerId}-${Date.now()}`);
      setMsg(t('loy.redeemed'));
      await load();
      onChange?.();
    } catch (err) {
      setMsg(errorText(err, i18n));
    }
  };

  const attitudes = att && (
    <Facts rows={[
      [t('loy.satisfaction'), att.satisfaction === null ? null : `${fmt.number(Math.round(att.satisfaction * 100))} %`],
      [t('loy.nps'), att.nps === null ? null : `${att.nps} / 10`],
      [t('loy.repurchase'), att.repurchase_intention === null ? null : `${fmt.number(Math.round(att.repurchase_intention * 100))} %`],
    ]} />
  );

  if (error) return <Card title={t('loy.panel')} id="loyalty"><ErrorBox error={error} onRetry={load} /></Card>;
  if (m === undefined) return <Card title={t('loy.panel')} id="loyalty"><p class="muted">{t('common.loading')}</p></Card>;
  if (m === null) {
    return (
      <Card title={t('loy.panel')} id="loyalty">
        <p class="muted">{t('loy.notMember')}</p>
        {kind !== 'guest' && (
          <form class="stack-form" onSubmit={enrol}>
            <label>{t('loy.referralCode')} <input value={code} maxLength={20} onInput={(e) => setCode(e.currentTarget.value)} /></label>
            <button class="btn btn-primary" type="submit">{t('loy.enrol')}</button>
          </form>
        )}
        <p role="status" aria-live="polite">{msg}</p>
        {attitudes}
      </Card>
    );
  }
  return (
    <Card title={t('loy.panel')} id="loyalty">
      <p class="loy-balance"><strong data-testid="loy-balance">{fmt.number(m.balance)}</strong> {t('loy.points')}</p>
      <Facts rows={[
        [t('loy.card'), <span class="mono">{m.card_number.replace(/(\d{4})(?=\d)/g, '$1 ')}</span>],
        [t('loy.tier'), m.tier],
        [t('loy.nextTier'), m.next_tier ? t('loy.needs', { points: fmt.number(m.next_tier.points_needed), tier: m.next_tier.name }) : null],
        [t('loy.expiring'), m.expiring.points ? t('loy.expiringText', { points: fmt.number(m.expiring.points), date: fmt.date(m.expiring.before) }) : null],
        [t('loy.referralCode'), <span class="mono">{m.referral_code}</span>],
      ]} />
      {entries.length > 0 && (
        <ul class="plain loy-ledger" aria-label={t('loy.ledger')}>
          {entries.map((x) => (
            <li key={x.id}>
              <span class={x.points > 0 ? 'good' : 'bad'}>{x.points > 0 ? '+' : ''}{fmt.number(x.points)}</span>{' '}
              {label('loy.entry', x.kind)}{x.reason ? ` · ${x.reason}` : ''} <span class="muted">· {fmt.date(x.at)}</span>
            </li>
          ))}
        </ul>
      )}
      {rewards.length > 0 && (
        <form class="stack-form" onSubmit={redeem}>
          <label>{t('loy.reward')}
            <select value={reward} onChange={(e) => setReward(e.currentTarget.value)}>
              <option value="">{t('loy.chooseReward')}</option>
              {rewards.map((r) => (
                <option key={r.id} value={String(r.id)} disabled={r.cost_points > m.balance}>
                  {r.name} ({fmt.number(r.cost_points)} {t('loy.points')})
                </option>
              ))}
            </select>
          </label>
          <button class="btn" type="submit" disabled={!reward}>{t('loy.redeem')}</button>
        </form>
      )}
      <p role="status" aria-live="polite">{msg}</p>
      {attitudes}
    </Card>
  );
}
