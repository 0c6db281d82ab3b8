// Web audience (tracking): visitors, sessions, top pages, sources,
// referrers, search keywords and the product → cart → checkout → purchase
// funnel for a site and a period; the snippet tag of each registered site.
import { useEffect, useState } from 'preact/hooks';
import { request } from '../api';
import { useI18n, type Key } from '../i18n';
import { Card, EmptyState, ErrorBox } from '../components/bits';

interface Site { id: number; key: string; name: string; origins: string[]; require_consent: boolean }
interface Report {
  visitors: number; sessions: number; page_views: number; events: number; bounces: number; avg_session_seconds: number;
  top_pages: { path: string; views: number; visitors: number }[];
  sources: { source: string; sessions: number }[];
  referrers: { referrer: string; sessions: number }[];
  keywords: { keyword: string; searches: number }[];
  funnel: { step: string; visitors: number; rate: number }[];
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export function Audience() {
  const i = useI18n();
  const { t } = i;
  const [sites, setSites] = useState<Site[] | null>(null);
  const [site, setSite] = useState('');
  const [from, setFrom] = useState(day(new Date(Date.now() - 29 * 86400e3)));
  const [to, setTo] = useState(day(new Date()));
  const [rep, setRep] = useState<Report | null>(null);
  const [err, setErr] = useState<unknown>(null);

  useEffect(() => {
    request<{ items: Site[] }>('GET', '/tracking/sites').then((a) => setSites(a.data.items), setErr);
  }, []);
  useEffect(() => {
    const q = new URLSearchParams({ from, to });
    if (site) q.set('site', site);
    setRep(null);
    request<Report>('GET', `/tracking/report?${q}`).then((a) => { setRep(a.data); setErr(null); }, setErr);
  }, [site, from, to]);

  const num = (n: number) => i.fmt.number(n);
  return (
    <div class="page">
      <h1>{t('aud.title')}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="aud-site">{t('aud.site')}</label>
          <select id="aud-site" value={site} onChange={(e) => setSite((e.target as HTMLSelectElement).value)}>
            <option value="">{t('aud.allSites')}</option>
            {(sites ?? []).map((s) => <option key={s.key} value={s.key}>{s.name}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="aud-from">{t('aud.from')}</label>
          <input id="aud-from" type="date" value={from} onChange={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="aud-to">{t('aud.to')}</label>
          <input id="aud-to" type="date" value={to} onChange={(e) => setTo((e.target as HTMLInputElement).value)} />
        </div>
      </form>
      {err ? <ErrorBox error={err} /> : null}
      {rep && rep.events === 0 ? <EmptyState title={t('aud.title')} icon="◔">{t('aud.empty')}</EmptyState> : null}
      {rep && rep.events > 0 ? (
        <>
          <div class="stats">
            {([['aud.visitors', num(rep.visitors)], ['aud.sessions', num(rep.sessions)], ['aud.pageViews', num(rep.page_views)],
              ['aud.bounces', num(rep.bounces)], ['aud.avgSession', `${Math.round(rep.avg_session_seconds / 60)} min`]] as [Key, string][]).map(([k, v]) => (
              <div class="stat" key={k}><span class="stat-label">{t(k)}</span><span class="stat-value">{v}</span></div>
            ))}
          </div>
          <div class="grid-2">
            <Card title={t('aud.funnel')} id="aud-funnel">
              <table class="table table-compact">
                <thead><tr><th scope="col">{t('aud.funnel')}</th><th scope="col">{t('aud.visitors')}</th><th scope="col">{t('aud.rate')}</th></tr></thead>
                <tbody>{rep.funnel.map((f) => (
                  <tr key={f.step}><td>{t(`aud.step.${f.step}` as Key)}</td><td>{num(f.visitors)}</td><td>{Math.round(f.rate * 100)} %</td></tr>
                ))}</tbody>
              </table>
            </Card>
            <Card title={t('aud.sources')} id="aud-sources">
              <table class="table table-compact">
                <thead><tr><th scope="col">{t('aud.sources')}</th><th scope="col">{t('aud.sessions')}</th></tr></thead>
                <tbody>{rep.sources.map((s) => <tr key={s.source}><td>{i.label('aud.source', s.source)}</td><td>{num(s.sessions)}</td></tr>)}</tbody>
              </table>
            </Card>
            <Card title={t('aud.topPages')} id="aud-pages">
              <table class="table table-compact">
                <thead><tr><th scope="col">{t('aud.path')}</th><th scope="col">{t('aud.views')}</th><th scope="col">{t('aud.visitors')}</th></tr></thead>
                <tbody>{rep.top_pages.map((p) => <tr key={p.path}><td>{p.path}</td><td>{num(p.views)}</td><td>{num(p.visitors)}</td></tr>)}</tbody>
              </table>
            </Card>
            <Card title={t('aud.keywords')} id="aud-keywords">
              <table class="table table-compact">
                <thead><tr><th scope="col">{t('aud.keywords')}</th><th scope="col">{t('aud.count')}</th></tr></thead>
                <tbody>{rep.keywords.map((k) => <tr key={k.keyword}><td>{k.keyword}</td><td>{num(k.searches)}</td></tr>)}</tbody>
              </table>
            </Card>
            <Card title={t('aud.referrers')} id="aud-referrers">
              <table class="table table-compact">
                <thead><tr><th scope="col">{t('aud.referrers')}</th><th scope="col">{t('aud.sessions')}</th></tr></thead>
                <tbody>{rep.referrers.map((r) => <tr key={r.referrer}><td>{r.referrer}</td><td>{num(r.sessions)}</td></tr>)}</tbody>
              </table>
            </Card>
          </div>
        </>
      ) : null}
      {(sites ?? []).map((s) => (
        <Card title={t('aud.snippet', { name: s.name })} key={s.key}>
          <pre class="plain">{`<script async src="${location.origin}/t/relatio.js" data-key="${s.key}"${s.require_consent ? ' data-consent="required"' : ''}></script>`}</pre>
        </Card>
      ))}
    </div>
  );
}
