// The customer's own space (#/portal/...): sign in by e-mailed link or
// password, then profile and preferences, consents, orders, loyalty, tickets,
// offers, help (public knowledge base) and my data. Its own session, apart
// from the staff workspace; laid out for a phone first.
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Route } from '../router';
import { navigate } from '../router';
import { LANGS, useI18n, type Key, type Lang } from '../i18n';
import { ErrorBox, errorText } from '../components/bits';
import { ApiError as p_ApiError } from '../api';
import * as p from './api';
import './portal.css';

const TABS: { id: string; key: Key }[] = [
  { id: 'profile', key: 'portal.tab.profile' },
  { id: 'orders', key: 'portal.tab.orders' },
  { id: 'loyalty', key: 'portal.tab.loyalty' },
  { id: 'tickets', key: 'portal.tab.tickets' },
  { id: 'consents', key: 'portal.tab.consents' },
  { id: 'offers', key: 'portal.tab.offers' },
  { id: 'help', key: 'portal.tab.help' },
  { id: 'data', key: 'portal.tab.data' },
];

export function PortalApp({ route }: { route: Route }) {
  const i = useI18n();
  const { t } = i;
  const [me, setMe] = useState<p.PortalCustomer | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [, sub = 'profile', arg] = route.parts;

  const boot = useCallback(() => {
    setError(null);
    if (sub === 'link' && arg) {
      p.redeem(arg).then((s) => { setMe(s.customer); navigate('/portal/profile'); }, (e) => { setMe(null); setError(e); });
    } else {
      p.me().then((s) => setMe(s ? s.customer : null), setError);
    }
  }, [sub === 'link' ? arg : '']); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(boot, [boot]);
  useEffect(() => { document.title = `${t('portal.title')} · relatio`; }, [t]);

  if (me === undefined && !error) return <main class="portal boot" aria-busy="true"><p>{t('app.loading')}</p></main>;
  if (!me) return <PortalSignIn onIn={(c) => { setMe(c); setError(null); navigate('/portal/profile'); }} linkError={error} />;

  const out = async () => {
    try { await p.logout(); } catch { /* gone either way */ }
    setMe(null);
    navigate('/portal');
  };
  const tab = TABS.some((x) => x.id === sub) ? sub : 'profile';
  return (
    <div class="portal">
      <header class="portal-top">
        <span class="brand"><span class="brand-mark" aria-hidden="true">r</span> {t('portal.title')}</span>
        <span class="portal-top-right">
          <PortalLang />
          <button type="button" class="btn btn-quiet" onClick={out}>{t('auth.signOut')}</button>
        </span>
      </header>
      <nav class="portal-tabs" aria-label={t('portal.nav')}>
        {TABS.map((x) => (
          <a key={x.id} href={`#/portal/${x.id}`} aria-current={x.id === tab ? 'page' : undefined} class={x.id === tab ? 'active' : ''}>{t(x.key)}</a>
        ))}
      </nav>
      <main id="main" class="portal-main" tabIndex={-1}>
        <h1>{t('portal.hello', { name: me.first_name || me.name || me.email || '' })}</h1>
        {error ? <ErrorBox error={error} /> : null}
        {tab === 'profile' && <Profile me={me} onSaved={setMe} />}
        {tab === 'orders' && <Orders />}
        {tab === 'loyalty' && <LoyaltyCard />}
        {tab === 'tickets' && <Tickets />}
        {tab === 'consents' && <Consents />}
        {tab === 'offers' && <Offers />}
        {tab === 'help' && <Help />}
        {tab === 'data' && <MyData />}
      </main>
    </div>
  );
}

/* The language choice of the portal (its own ids: it may sit next to others). */
function PortalLang() {
  const { lang, setLang, t } = useI18n();
  return (
    <span class="lang-switch portal-lang">
      <label for="portal-lang">{t('lang.label')}</label>
      <select id="portal-lang" value={lang} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}>
        {LANGS.map((l) => <option value={l} lang={l} key={l}>{t(`lang.${l}` as Key)}</option>)}
      </select>
    </span>
  );
}

function PortalSignIn({ onIn, linkError }: { onIn: (c: p.PortalCustomer) => void; linkError: unknown }) {
  const i = useI18n();
  const { t } = i;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [msg, setMsg] = useState<string>(linkError ? t('portal.linkInvalid') : '');
  const [busy, setBusy] = useState(false);
  const link = async (e: Event) => {
    e.preventDefault();
    if (!email.trim()) { setMsg(t('auth.emailRequired')); return; }
    setBusy(true);
    try { await p.askLink(email.trim()); setMsg(t('portal.linkSent')); } catch (err) { setMsg(errorText(err, i)); }
    setBusy(false);
  };
  const pw = async () => {
    if (!email.trim() || !password) { setMsg(t('auth.passwordRequired')); return; }
    setBusy(true);
    try { const s = await p.login(email.trim(), password); onIn(s.customer); } catch (err) {
      setMsg(err instanceof p_ApiError && err.status === 429 ? t('auth.tooMany') : t('auth.badCredentials'));
    }
    setBusy(false);
  };
  return (
    <main class="portal portal-signin" id="main">
      <div class="portal-top-right"><PortalLang /></div>
      <h1>{t('portal.title')}</h1>
      <p class="muted">{t('portal.signInIntro')}</p>
      <form onSubmit={link} class="portal-form">
        <label for="portal-email">{t('auth.email')}</label>
        <input id="portal-email" type="email" autocomplete="email" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>{t('portal.sendLink')}</button>
        <label for="portal-password">{t('portal.orPassword')}</label>
        <input id="portal-password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        <button type="button" class="btn btn-block" disabled={busy} onClick={pw}>{t('auth.signIn')}</button>
        <p role="status" class="portal-msg">{msg}</p>
      </form>
    </main>
  );
}
function useLoad<T>(fn: () => Promise<T>): [T | null, unknown, () => void] {
  const [data, setData] = useState<T | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const load = useCallback(() => { setErr(null); fn().then(setData, setErr); }, []); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(load, [load]);
  return [data, err, load];
}

const CHANNELS = ['email', 'sms', 'phone', 'mail', 'store', 'none'];

function Profile({ me, onSaved }: { me: p.PortalCustomer; onSaved: (c: p.PortalCustomer) => void }) {
  const i = useI18n();
  const { t } = i;
  const [channel, setChannel] = useState(me.preferred_channel ?? '');
  const [interests, setInterests] = useState((me.interests ?? []).join(', '));
  const [phone, setPhone] = useState(me.phone ?? '');
  const [note, setNote] = useState('');
  const [msg, setMsg] = useState('');
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const c = await p.updateMe({ preferred_channel: channel || null, phone: phone || null, interests: interests.split(',').map((s) => s.trim()).filter(Boolean) });
      onSaved(c);
      setMsg(t('portal.saved'));
    } catch (err) { setMsg(errorText(err, i)); }
  };
  const call = async () => {
    try { const c = await p.callback(note); onSaved(c); setMsg(t('portal.callbackAsked')); } catch (err) { setMsg(errorText(err, i)); }
  };
  return (
    <section class="card" aria-labelledby="pf-h">
      <h2 id="pf-h">{t('portal.tab.profile')}</h2>
      <p>{[me.first_name, me.last_name].filter(Boolean).join(' ') || me.name} · {me.email}</p>
      <form onSubmit={save} class="portal-form">
        <label for="pf-phone">{t('portal.phone')}</label>
        <input id="pf-phone" type="tel" value={phone} onInput={(e) => setPhone((e.target as HTMLInputElement).value)} />
        <label for="pf-channel">{t('portal.channel')}</label>
        <select id="pf-channel" value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value)}>
          <option value="">{t('common.none')}</option>
          {CHANNELS.map((c) => <option key={c} value={c}>{t(`portal.ch.${c}` as Key)}</option>)}
        </select>
        <label for="pf-interests">{t('portal.interests')}</label>
        <input id="pf-interests" value={interests} onInput={(e) => setInterests((e.target as HTMLInputElement).value)} />
        <button type="submit" class="btn btn-primary">{t('portal.save')}</button>
      </form>
      <h3>{t('portal.callback')}</h3>
      {me.callback_requested_at ? <p class="muted">{t('portal.callbackSince', { at: i.fmt.dateTime(me.callback_requested_at) })}</p> : null}
      <label for="pf-note">{t('portal.callbackNote')}</label>
      <input id="pf-note" value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
      <button type="button" class="btn" onClick={call}>{t('portal.callbackAsk')}</button>
      <p role="status" class="portal-msg">{msg}</p>
    </section>
  );
}

function Orders() {
  const i = useI18n();
  const [data, err] = useLoad(p.orders);
  if (err) return <ErrorBox error={err} />;
  if (!data) return <p>{i.t('app.loading')}</p>;
  if (!data.items.length) return <p class="muted">{i.t('portal.noOrders')}</p>;
  return (
    <ul class="portal-list">
      {data.items.map((o) => (
        <li key={o.id}><strong>{o.external_id || `#${o.id}`}</strong> · {i.fmt.date(o.ordered_at)} · {i.fmt.money(o.total_minor, o.currency)} · {i.label('portal.status', o.status)}</li>
      ))}
    </ul>
  );
}

function LoyaltyCard() {
  const i = useI18n();
  const { t } = i;
  const [data, err] = useLoad(p.loyalty);
  if (err) return <ErrorBox error={err} />;
  if (!data) return <p>{t('app.loading')}</p>;
  if (!data.member) return <p class="muted">{t('portal.notMember')}</p>;
  return (
    <section class="card">
      <p class="portal-big">{t('portal.points', { n: i.fmt.number(data.member.balance ?? 0) })}</p>
      {data.member.tier ? <p>{t('portal.tier', { tier: data.member.tier })}</p> : null}
      {data.member.referral_code ? <p>{t('portal.referral')} <code>{data.member.referral_code}</code></p> : null}
      <ul class="portal-list">
        {data.ledger.map((l) => <li key={l.id}>{i.fmt.date(l.at)} · {l.points > 0 ? '+' : ''}{l.points} · {l.reason || l.kind}</li>)}
      </ul>
    </section>
  );
}

function Tickets() {
  const i = useI18n();
  const { t } = i;
  const [data, err, reload] = useLoad(p.tickets);
  const [open, setOpen] = useState<p.Ticket | null>(null);
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [answer, setAnswer] = useState('');
  const [msg, setMsg] = useState('');
  const create = async (e: Event) => {
    e.preventDefault();
    try { const tk = await p.openTicket(subject, body); setSubject(''); setBody(''); setOpen(tk); reload(); setMsg(t('portal.ticketOpened')); } catch (er) { setMsg(errorText(er, i)); }
  };
  const send = async () => {
    if (!open) return;
    try { setOpen(await p.reply(open.id, answer)); setAnswer(''); reload(); } catch (er) { setMsg(errorText(er, i)); }
  };
  if (err) return <ErrorBox error={err} />;
  return (
    <div>
      {data && data.items.length ? (
        <ul class="portal-list">
          {data.items.map((tk) => (
            <li key={tk.id}><button type="button" class="btn btn-quiet" onClick={async () => setOpen(await p.ticket(tk.id))}>{tk.subject}</button> · {i.label('portal.status', tk.status)}</li>
          ))}
        </ul>
      ) : <p class="muted">{t('portal.noTickets')}</p>}
      {open ? (
        <section class="card" aria-label={open.subject}>
          <h2>{open.subject}</h2>
          <ul class="portal-thread">
            {(open.messages ?? []).map((m) => <li key={m.id} class={m.direction}>{m.body}<span class="muted"> · {i.fmt.dateTime(m.at)}</span></li>)}
          </ul>
          <label for="tk-answer">{t('portal.reply')}</label>
          <textarea id="tk-answer" value={answer} onInput={(e) => setAnswer((e.target as HTMLTextAreaElement).value)} />
          <button type="button" class="btn btn-primary" onClick={send}>{t('portal.send')}</button>
        </section>
      ) : null}
      <form onSubmit={create} class="portal-form card">
        <h2>{t('portal.newTicket')}</h2>
        <label for="tk-subject">{t('portal.subject')}</label>
        <input id="tk-subject" value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} />
        <label for="tk-body">{t('portal.message')}</label>
        <textarea id="tk-body" value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
        <button type="submit" class="btn btn-primary">{t('portal.send')}</button>
      </form>
      <p role="status" class="portal-msg">{msg}</p>
    </div>
  );
}

const PURPOSES: [string, string][] = [['email', 'newsletter'], ['email', 'marketing'], ['sms', 'marketing'], ['phone', 'marketing'], ['tracking', 'analytics']];

function Consents() {
  const i = useI18n();
  const { t } = i;
  const [data, err, reload] = useLoad(p.consents);
  if (err) return <ErrorBox error={err} />;
  if (!data) return <p>{t('app.loading')}</p>;
  const items = Array.isArray(data) ? data : data.items;
  const current = (ch: string, pu: string) => {
    const last = items.filter((c) => c.channel === ch && c.purpose === pu).at(-1);
    return last ? last.granted : false;
  };
  const flip = async (ch: string, pu: string, v: boolean) => { await p.consent(ch, pu, v); reload(); };
  return (
    <section class="card">
      <ul class="portal-list">
        {PURPOSES.map(([ch, pu]) => (
          <li key={ch + pu}>
            <label>
              <input type="checkbox" checked={current(ch, pu)} onChange={(e) => flip(ch, pu, (e.target as HTMLInputElement).checked)} />{' '}
              {t(`portal.consent.${ch}.${pu}` as Key)}
            </label>
          </li>
        ))}
      </ul>
      <h3>{t('portal.history')}</h3>
      <ul class="portal-list">
        {items.slice().reverse().map((c) => <li key={c.id}>{i.fmt.dateTime(c.at)} · {c.channel} / {c.purpose} · {c.granted ? t('portal.granted') : t('portal.withdrawn')}</li>)}
      </ul>
    </section>
  );
}

function Offers() {
  const i = useI18n();
  const [data, err] = useLoad(p.offers);
  if (err) return <ErrorBox error={err} />;
  if (!data) return <p>{i.t('app.loading')}</p>;
  const slots = Object.entries(data.content);
  if (!slots.length) return <p class="muted">{i.t('portal.noOffers')}</p>;
  return (
    <div>
      {slots.map(([slot, c]) => (
        <section class="card portal-offer" key={slot}>
          <h2>{c.title ?? slot}</h2>
          {c.text ? <p>{c.text}</p> : null}
          {c.url && /^(https?:\/\/|\/)/.test(c.url) ? <a href={c.url}>{i.t('portal.seeOffer')}</a> : null}
        </section>
      ))}
    </div>
  );
}

function Help() {
  const i = useI18n();
  const [q, setQ] = useState('');
  const [items, setItems] = useState<{ id: number; title: string; excerpt?: string }[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const go = async (e: Event) => {
    e.preventDefault();
    if (!q.trim()) return;
    try { setItems((await p.kb(q.trim())).items); setErr(null); } catch (er) { setErr(er); }
  };
  return (
    <section class="card">
      <form onSubmit={go} role="search" class="portal-form">
        <label for="kb-q">{i.t('portal.searchHelp')}</label>
        <input id="kb-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        <button type="submit" class="btn btn-primary">{i.t('portal.search')}</button>
      </form>
      {err ? <ErrorBox error={err} /> : null}
      {items ? (items.length ? <ul class="portal-list">{items.map((a) => <li key={a.id}><strong>{a.title}</strong>{a.excerpt ? <p class="muted">{a.excerpt}</p> : null}</li>)}</ul> : <p class="muted">{i.t('portal.noAnswers')}</p>) : null}
    </section>
  );
}

function MyData() {
  const i = useI18n();
  const { t } = i;
  const [msg, setMsg] = useState('');
  const [note, setNote] = useState('');
  const download = async () => {
    try {
      const doc = await p.exportData();
      const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'my-data.json';
      a.click();
      URL.revokeObjectURL(url);
    } catch (er) { setMsg(errorText(er, i)); }
  };
  const erase = async () => {
    if (!confirm(t('portal.eraseConfirm'))) return;
    try { await p.erasure(note); setMsg(t('portal.eraseFiled')); } catch (er) { setMsg(er instanceof p_ApiError && er.status === 409 ? t('portal.eraseAlready') : errorText(er, i)); }
  };
  const pw = async (e: Event) => {
    e.preventDefault();
    const v = ((e.target as HTMLFormElement).elements.namedItem('pw-new') as HTMLInputElement).value;
    try { await p.setPassword(v); setMsg(t('portal.passwordSet')); } catch (er) { setMsg(errorText(er, i)); }
  };
  return (
    <section class="card">
      <button type="button" class="btn btn-primary" onClick={download}>{t('portal.download')}</button>
      <form onSubmit={pw} class="portal-form">
        <label for="pw-new">{t('portal.newPassword')}</label>
        <input id="pw-new" name="pw-new" type="password" autocomplete="new-password" minLength={8} />
        <button type="submit" class="btn">{t('portal.setPassword')}</button>
      </form>
      <h3>{t('portal.erase')}</h3>
      <label for="er-note">{t('portal.eraseNote')}</label>
      <input id="er-note" value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
      <button type="button" class="btn" onClick={erase}>{t('portal.eraseAsk')}</button>
      <p role="status" class="portal-msg">{msg}</p>
    </section>
  );
}
