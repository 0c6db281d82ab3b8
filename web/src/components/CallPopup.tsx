// The call pop-up (CTI): listens to the server-sent-events stream of the
// signed-in agent and shows the caller's card as the phone rings – name,
// lifecycle, scores, last orders and tickets, a link to the 360° view – or
// a "new caller" form when the number is unknown; when the call ends, a
// follow-up task can be set from the card. Also the click-to-call link.
import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { errorText } from './bits';
import {
  CTI_STREAM, ctiCard, ctiFollowup, ctiLink, ctiNewCaller, ctiOriginate,
  type Call, type CallCard, type CallMessage,
} from '../api/cti';
import './cti.css';

export function CallPopup() {
  const [msg, setMsg] = useState<CallMessage | null>(null);
  useEffect(() => {
    if (typeof EventSource === 'undefined') return undefined;
    const es = new EventSource(CTI_STREAM);
    const onCall = (e: MessageEvent<string>) => {
      let m: CallMessage;
      try {
        m = JSON.parse(e.data) as CallMessage;
      } catch {
        return;
      }
      setMsg((cur) => {
        // a later message of the shown call updates it; another call replaces
        // it unless the shown one is still in progress
        if (!cur || cur.call.call_id === m.call.call_id) return { ...m, customer: m.customer ?? cur?.customer ?? null };
        return cur.state === 'ended' || m.state === 'ringing' ? m : cur;
      });
    };
    es.addEventListener('call', onCall as EventListener);
    return () => es.close();
  }, []);
  if (!msg) return null;
  return <CallCardView key={msg.call.call_id} msg={msg} onClose={() => setMsg(null)} />;
}

function CallCardView({ msg, onClose }: { msg: CallMessage; onClose: () => void }) {
  const { t, label, fmt } = useI18n();
  const [card, setCard] = useState<CallCard | null>(msg.customer);
  const { call } = msg;
  useEffect(() => { if (msg.customer) setCard(msg.customer); }, [msg.customer]);
  const number = call.direction === 'inbound' ? call.from : call.to;
  return (
    <section class="cti-popup" role="region" aria-live="polite" aria-label={t('cti.title')} data-state={msg.state}>
      <header class="cti-head">
        <span class="cti-state">{t(`cti.state.${msg.state}` as 'cti.state.ringing')}</span>
        <span class="cti-number">{number}</span>
        <button type="button" class="btn btn-quiet cti-close" onClick={onClose} aria-label={t('common.close')}>×</button>
      </header>
      {card ? (
        <div class="cti-card">
          <h2 class="cti-name"><a href={`#/customers/${card.id}`} onClick={() => undefined}>{card.display_name}</a></h2>
          <p class="muted">
            {label('lifecycle', card.lifecycle)}
            {card.email && <> · {card.email}</>}
          </p>
          <dl class="cti-facts">
            <dt>{t('cti.orders')}</dt><dd>{fmt.number(card.stats?.orders ?? 0)}</dd>
            <dt>{t('cti.revenue')}</dt><dd>{fmt.money(card.stats?.revenue_minor ?? 0, card.stats?.currency)}</dd>
            {card.scores?.quintile?.label && <><dt>{t('cti.segment')}</dt><dd>{card.scores.quintile.label}</dd></>}
            {card.scores?.abc?.class && <><dt>{t('cti.abc')}</dt><dd>{card.scores.abc.class}</dd></>}
            {card.scores?.rfm && <><dt>{t('cti.rfm')}</dt><dd>{fmt.number(card.scores.rfm.score)}</dd></>}
          </dl>
          {card.flags?.length > 0 && (
            <p class="cti-flags">{card.flags.map((f) => (typeof f === 'string' ? f : f.flag)).join(', ')}</p>
          )}
          {card.last_orders?.length > 0 && (
            <>
              <h3>{t('cti.lastOrders')}</h3>
              <ul class="plain">
                {card.last_orders.map((o) => (
                  <li key={o.id}>{fmt.date(o.ordered_at)} · {fmt.money(o.total_minor, o.currency)} · {label('order.status', o.status)}</li>
                ))}
              </ul>
            </>
          )}
          {card.last_tickets?.length > 0 && (
            <>
              <h3>{t('cti.lastTickets')}</h3>
              <ul class="plain">
                {card.last_tickets.map((k) => (
                  <li key={k.id}>{k.subject} · {label('ticket.status', k.status)}</li>
                ))}
              </ul>
            </>
          )}
          <p><a class="btn" href={`#/customers/${card.id}`}>{t('cti.open360')}</a></p>
          {msg.state === 'ended' && <FollowUp call={call} />}
        </div>
      ) : (
        <NewCaller call={call} number={number} onCreated={setCard} />
      )}
    </section>
  );
}

function NewCaller({ call, number, onCreated }: { call: Call; number: string; onCreated: (c: CallCard) => void }) {
  const i = useI18n();
  const { t } = i;
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const c = await ctiNewCaller({ first_name: first, last_name: last, phone: number, ...(email ? { email } : {}) });
      await ctiLink(call.id, c.id);
      onCreated(await ctiCard(c.id));
    } catch (err) {
      setError(errorText(err, i));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="cti-new" onSubmit={submit} aria-label={t('cti.newCaller')}>
      <h2>{t('cti.newCaller')}</h2>
      <p class="muted">{t('cti.unknownNumber', { number })}</p>
      <label>{t('cti.firstName')}<input required value={first} onInput={(e) => setFirst(e.currentTarget.value)} /></label>
      <label>{t('cti.lastName')}<input required value={last} onInput={(e) => setLast(e.currentTarget.value)} /></label>
      <label>{t('cti.email')}<input type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} /></label>
      {error && <p class="error-box" role="alert">{error}</p>}
      <button type="submit" class="btn btn-primary" disabled={busy}>{t('cti.create')}</button>
    </form>
  );
}

function FollowUp({ call }: { call: Call }) {
  const i = useI18n();
  const { t } = i;
  const [title, setTitle] = useState(t('cti.callBack'));
  const [due, setDue] = useState('');
  const [done, setDone] = useState<number | null>(call.task_id);
  const [error, setError] = useState<string | null>(null);
  if (done) return <p class="cti-done" role="status">{t('cti.followupSet')}</p>;
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const task = await ctiFollowup(call.id, { title, ...(due ? { due_at: new Date(due).toISOString() } : {}) });
      setDone(task.id);
    } catch (err) {
      setError(errorText(err, i));
    }
  };
  return (
    <form class="cti-followup" onSubmit={submit} aria-label={t('cti.followup')}>
      <h3>{t('cti.followup')}</h3>
      <label>{t('cti.taskTitle')}<input required value={title} onInput={(e) => setTitle(e.currentTarget.value)} /></label>
      <label>{t('cti.due')}<input type="datetime-local" value={due} onInput={(e) => setDue(e.currentTarget.value)} /></label>
      {error && <p class="error-box" role="alert">{error}</p>}
      <button type="submit" class="btn btn-primary">{t('cti.setFollowup')}</button>
    </form>
  );
}

/** A phone number as a tel: link with a click-to-call button: the phone
 * system dials when an originate URL is set, else the tel: link opens. */
export function PhoneLink({ phone, customerId }: { phone: string; customerId?: number }) {
  const i = useI18n();
  const [note, setNote] = useState<string | null>(null);
  const tel = `tel:${phone.replace(/[\s.()-]+/g, '')}`;
  const call = async () => {
    setNote(null);
    try {
      const r = await ctiOriginate(phone, customerId);
      if (r.requested) setNote(i.t('cti.dialling'));
      else window.location.href = r.tel;
    } catch (err) {
      setNote(errorText(err, i));
    }
  };
  return (
    <span class="cti-phone">
      <a href={tel}>{phone}</a>{' '}
      <button type="button" class="btn btn-quiet cti-dial" onClick={call} aria-label={i.t('cti.callNumber', { number: phone })}>☎</button>
      {note && <span class="muted" role="status"> {note}</span>}
    </span>
  );
}
