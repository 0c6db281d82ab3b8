// Loyalty programme settings: earning rules (base and category rates,
// bonuses), tiers, the rewards catalogue, points expiry; and the surveys
// with their CSAT / NPS results.
import { useCallback, useEffect, useState } from 'preact/hooks';
import * as loy from '../api/loyalty';
import type { Programme, Reward, Rule, Tier } from '../api/loyalty';
import { useI18n } from '../i18n';
import { Card, EmptyState, ErrorBox, errorText } from '../components/bits';
import { SurveysPanel } from '../components/SurveysPanel';

export function Loyalty() {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [prog, setProg] = useState<Programme | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState('');
  const [formError, setFormError] = useState('');

  const load = useCallback(async () => {
    setError(null);
    try {
      setProg(await loy.programme());
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  // every change goes through here: the answer or the problem's detail
  const act = async (fn: () => Promise<unknown>, done: string) => {
    setFormError('');
    setNote('');
    try {
      await fn();
      setNote(done);
      await load();
      return true;
    } catch (e) {
      setFormError(errorText(e, i18n));
      return false;
    }
  };

  if (error) return <div class="page"><ErrorBox error={error} onRetry={load} /></div>;
  if (!prog) return <div class="page" aria-busy="true"><p class="muted">{t('common.loading')}</p></div>;

  return (
    <div class="page loyalty">
      <h1>{t('loy.title')}</h1>
      <p class="muted">{t('loy.intro', { members: fmt.number(prog.members) })}</p>
      <p class="notice" role="status" aria-live="polite">{note}</p>
      {formError && <p class="error" role="alert">{formError}</p>}
      <Rules rules={prog.rules} act={act} />
      <Tiers tiers={prog.tiers} act={act} />
      <Rewards rewards={prog.rewards} tiers={prog.tiers} act={act} />
      <Expiry months={prog.expiry_months} act={act} />
      <SurveysPanel />
    </div>
  );
}

type Act = (fn: () => Promise<unknown>, done: string) => Promise<boolean>;

function num(v: string): number {
  return v.trim() === '' ? NaN : Number(v);
}

function Rules({ rules, act }: { rules: Rule[]; act: Act }) {
  const { t, label } = useI18n();
  const [category, setCategory] = useState('');
  const [rate, setRate] = useState('2');
  const add = async (e: Event) => {
    e.preventDefault();
    if (await act(() => loy.saveRule(null, { kind: 'category', category: category.trim(), rate: num(rate) }), t('loy.saved'))) setCategory('');
  };
  return (
    <Card title={t('loy.rules')} id="loy-rules">
      <table class="table">
        <caption class="sr-only">{t('loy.rules')}</caption>
        <thead><tr><th scope="col">{t('loy.rule')}</th><th scope="col">{t('loy.value')}</th><th scope="col">{t('loy.active')}</th></tr></thead>
        <tbody>
          {rules.map((r) => <RuleRow key={r.id} r={r} act={act} kindLabel={label('loy.kind', r.kind)} />)}
        </tbody>
      </table>
      <form class="inline-form" onSubmit={add} aria-label={t('loy.addCategory')}>
        <label>{t('loy.category')} <input value={category} required maxLength={100} onInput={(e) => setCategory(e.currentTarget.value)} /></label>
        <label>{t('loy.rate')} <input type="number" min={0} max={1000} value={rate} required onInput={(e) => setRate(e.currentTarget.value)} /></label>
        <button class="btn" type="submit">{t('loy.addCategory')}</button>
      </form>
    </Card>
  );
}

function RuleRow({ r, act, kindLabel }: { r: Rule; act: Act; kindLabel: string }) {
  const { t } = useI18n();
  const rated = r.kind === 'base' || r.kind === 'category';
  const [value, setValue] = useState(String(rated ? r.rate : r.points));
  const save = (e: Event) => {
    e.preventDefault();
    act(() => loy.saveRule(r.id, rated ? { rate: num(value) } : { points: num(value) }), t('loy.saved'));
  };
  const name = r.category ? `${kindLabel}: ${r.category}` : kindLabel;
  return (
    <tr>
      <th scope="row">{name}</th>
      <td>
        <form class="cell-form" onSubmit={save}>
          <input type="number" min={0} aria-label={`${name}: ${rated ? t('loy.rate') : t('loy.points')}`} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
          <span class="muted">{rated ? t('loy.perUnit') : t('loy.points')}</span>
          <button class="btn btn-quiet" type="submit">{t('loy.save')}</button>
        </form>
      </td>
      <td>
        <label class="check">
          <input type="checkbox" checked={r.active} onChange={(e) => act(() => loy.saveRule(r.id, { active: e.currentTarget.checked }), t('loy.saved'))} />
          <span class="sr-only">{name}</span>
        </label>
      </td>
    </tr>
  );
}

function Tiers({ tiers, act }: { tiers: Tier[]; act: Act }) {
  const { t, fmt } = useI18n();
  const [name, setName] = useState('');
  const [threshold, setThreshold] = useState('');
  const [bonus, setBonus] = useState('0');
  const [benefits, setBenefits] = useState('');
  const add = async (e: Event) => {
    e.preventDefault();
    const ok = await act(() => loy.saveTier(null, { name: name.trim(), threshold: num(threshold), earn_bonus_pct: num(bonus), benefits: benefits.trim() || null }), t('loy.saved'));
    if (ok) {
      setName('');
      setThreshold('');
      setBenefits('');
    }
  };
  return (
    <Card title={t('loy.tiers')} id="loy-tiers">
      <table class="table">
        <caption class="sr-only">{t('loy.tiers')}</caption>
        <thead><tr><th scope="col">{t('loy.tier')}</th><th scope="col">{t('loy.threshold')}</th><th scope="col">{t('loy.bonus')}</th><th scope="col">{t('loy.benefits')}</th></tr></thead>
        <tbody>
          {tiers.map((x) => (
            <tr key={x.id}>
              <th scope="row">{x.name}</th>
              <td>{fmt.number(x.threshold)}</td>
              <td>{x.earn_bonus_pct} %</td>
              <td>{x.benefits ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="inline-form" onSubmit={add} aria-label={t('loy.addTier')}>
        <label>{t('loy.tier')} <input value={name} required maxLength={100} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>{t('loy.threshold')} <input type="number" min={0} value={threshold} required onInput={(e) => setThreshold(e.currentTarget.value)} /></label>
        <label>{t('loy.bonus')} <input type="number" min={0} max={1000} value={bonus} onInput={(e) => setBonus(e.currentTarget.value)} /></label>
        <label>{t('loy.benefits')} <input value={benefits} maxLength={2000} onInput={(e) => setBenefits(e.currentTarget.value)} /></label>
        <button class="btn" type="submit">{t('loy.addTier')}</button>
      </form>
    </Card>
  );
}

function Rewards({ rewards, tiers, act }: { rewards: Reward[]; tiers: Tier[]; act: Act }) {
  const { t, fmt } = useI18n();
  const [name, setName] = useState('');
  const [cost, setCost] = useState('');
  const [stock, setStock] = useState('');
  const [tier, setTier] = useState('');
  const add = async (e: Event) => {
    e.preventDefault();
    const ok = await act(() => loy.saveReward(null, { name: name.trim(), cost_points: num(cost), stock: stock.trim() ? num(stock) : null, min_tier_id: tier ? Number(tier) : null }), t('loy.saved'));
    if (ok) {
      setName('');
      setCost('');
      setStock('');
    }
  };
  const tierName = (id: number | null) => tiers.find((x) => x.id === id)?.name ?? '';
  return (
    <Card title={t('loy.rewards')} id="loy-rewards">
      {rewards.length === 0 ? (
        <EmptyState title={t('loy.noRewards')} />
      ) : (
        <table class="table">
          <caption class="sr-only">{t('loy.rewards')}</caption>
          <thead><tr><th scope="col">{t('loy.reward')}</th><th scope="col">{t('loy.cost')}</th><th scope="col">{t('loy.stock')}</th><th scope="col">{t('loy.minTier')}</th><th scope="col">{t('loy.active')}</th></tr></thead>
          <tbody>
            {rewards.map((r) => (
              <tr key={r.id}>
                <th scope="row">{r.name}</th>
                <td>{fmt.number(r.cost_points)}</td>
                <td>{r.stock === null ? t('loy.unlimited') : fmt.number(r.stock)}</td>
                <td>{tierName(r.min_tier_id)}</td>
                <td>
                  <label class="check">
                    <input type="checkbox" checked={r.active} onChange={(e) => act(() => loy.saveReward(r.id, { active: e.currentTarget.checked }), t('loy.saved'))} />
                    <span class="sr-only">{r.name}</span>
                  </label>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="inline-form" onSubmit={add} aria-label={t('loy.addReward')}>
        <label>{t('loy.reward')} <input value={name} required maxLength={200} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>{t('loy.cost')} <input type="number" min={1} value={cost} required onInput={(e) => setCost(e.currentTarget.value)} /></label>
        <label>{t('loy.stock')} <input type="number" min={0} value={stock} placeholder={t('loy.unlimited')} onInput={(e) => setStock(e.currentTarget.value)} /></label>
        <label>{t('loy.minTier')}
          <select value={tier} onChange={(e) => setTier(e.currentTarget.value)}>
            <option value="">{t('loy.anyTier')}</option>
            {tiers.map((x) => <option key={x.id} value={String(x.id)}>{x.name}</option>)}
          </select>
        </label>
        <button class="btn" type="submit">{t('loy.addReward')}</button>
      </form>
    </Card>
  );
}

function Expiry({ months, act }: { months: number; act: Act }) {
  const { t } = useI18n();
  const [value, setValue] = useState(String(months));
  return (
    <Card title={t('loy.expiry')} id="loy-expiry">
      <form class="inline-form" onSubmit={(e) => { e.preventDefault(); act(() => loy.setExpiry(num(value)), t('loy.saved')); }}>
        <label>{t('loy.expiryMonths')} <input type="number" min={0} max={120} value={value} required onInput={(e) => setValue(e.currentTarget.value)} /></label>
        <button class="btn" type="submit">{t('loy.save')}</button>
      </form>
      <p class="muted">{t('loy.expiryHelp')}</p>
    </Card>
  );
}
