// Log an interaction (a call, an e-mail, a store visit…) against a customer.
// An offer refused or accepted names the offer, so no channel proposes it
// again unknowingly.
import { useState } from 'preact/hooks';
import * as api from '../api';
import { CHANNELS, DIRECTIONS, KIND_BY_CHANNEL, OFFER_OUTCOMES, OUTCOMES, type Channel, type NewInteraction } from '../types';
import { useI18n } from '../i18n';
import { errorText } from './bits';

type Errs = Partial<Record<'channel' | 'direction' | 'subject' | 'body' | 'outcome' | 'offer' | 'form', string>>;

export function InteractionForm({ customerId, channel: initialChannel, onSaved, onCancel }: {
  customerId: string | number;
  channel: string;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const i = useI18n();
  const { t, label } = i;
  const [channel, setChannel] = useState<Channel>((CHANNELS as readonly string[]).includes(initialChannel) ? (initialChannel as Channel) : 'phone');
  const [direction, setDirection] = useState<'inbound' | 'outbound'>('outbound');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [outcome, setOutcome] = useState('');
  const [offer, setOffer] = useState('');
  const [busy, setBusy] = useState(false);
  const [errs, setErrs] = useState<Errs>({});
  const needsOffer = OFFER_OUTCOMES.includes(outcome);

  const submit = async (e: Event) => {
    e.preventDefault();
    const local: Errs = {};
    if (!subject.trim()) local.subject = t('ix.subjectRequired');
    if (needsOffer && !offer.trim()) local.offer = t('ix.offerRequired');
    if (local.subject || local.offer) {
      setErrs(local);
      document.getElementById(local.subject ? 'ix-subject' : 'ix-offer')?.focus();
      return;
    }
    const payload: NewInteraction = { customer_id: customerId, channel, direction, subject: subject.trim(), body: body.trim() };
    // an interest is its own kind: the server notes the offer among the customer's interests
    const kind = outcome === 'interested' ? 'interest' : KIND_BY_CHANNEL[channel];
    if (kind) payload.kind = kind;
    if (outcome) payload.outcome = outcome;
    if (needsOffer) payload.offer = offer.trim();
    setBusy(true);
    setErrs({});
    try {
      await api.createInteraction(payload);
      onSaved();
    } catch (err) {
      const next: Errs = {};
      if (err instanceof api.ApiError && err.errors.length) {
        for (const fe of err.errors) {
          const k = fe.field as keyof Errs;
          if (k in fieldIds) next[k] = fe.message;
          else next.form = [next.form, `${fe.field}: ${fe.message}`].filter(Boolean).join(' ');
        }
      } else {
        next.form = errorText(err, i);
      }
      setErrs(next);
      setBusy(false);
    }
  };

  const fieldProps = (k: keyof typeof fieldIds) => ({
    id: fieldIds[k],
    'aria-invalid': errs[k] ? ('true' as const) : undefined,
    'aria-describedby': errs[k] ? `${fieldIds[k]}-error` : undefined,
  });
  const err = (k: keyof typeof fieldIds) =>
    errs[k] ? <p id={`${fieldIds[k]}-error`} class="field-error" role="alert">{errs[k]}</p> : null;

  return (
    <section
      class="card ix-form"
      aria-labelledby="ix-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) onCancel();
      }}
    >
      <h2 id="ix-title">{t('ix.title')}</h2>
      <form onSubmit={submit} noValidate>
        <div class="form-row">
          <div class="field">
            <label for="ix-channel">{t('ix.channel')}</label>
            <select {...fieldProps('channel')} value={channel} onChange={(e) => setChannel(e.currentTarget.value as Channel)}>
              {CHANNELS.map((c) => <option value={c} key={c}>{label('channel', c)}</option>)}
            </select>
            {err('channel')}
          </div>
          <div class="field">
            <label for="ix-direction">{t('ix.direction')}</label>
            <select {...fieldProps('direction')} value={direction} onChange={(e) => setDirection(e.currentTarget.value as 'inbound' | 'outbound')}>
              {DIRECTIONS.map((d) => <option value={d} key={d}>{label('direction', d)}</option>)}
            </select>
            {err('direction')}
          </div>
          <div class="field">
            <label for="ix-outcome">{t('ix.outcome')}</label>
            <select {...fieldProps('outcome')} value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
              <option value="">{t('outcome.none')}</option>
              {OUTCOMES.map((o) => <option value={o} key={o}>{label('outcome', o)}</option>)}
            </select>
            {err('outcome')}
          </div>
        </div>
        {needsOffer && (
          <div class="field">
            <label for="ix-offer">{t('ix.offer')}</label>
            <input {...fieldProps('offer')} type="text" placeholder={t('ix.offerHint')} value={offer} onInput={(e) => setOffer(e.currentTarget.value)} />
            {err('offer')}
          </div>
        )}
        <div class="field">
          <label for="ix-subject">{t('ix.subject')}</label>
          <input {...fieldProps('subject')} type="text" required value={subject} onInput={(e) => setSubject(e.currentTarget.value)} />
          {err('subject')}
        </div>
        <div class="field">
          <label for="ix-body">{t('ix.body')}</label>
          <textarea {...fieldProps('body')} rows={4} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
          {err('body')}
        </div>
        {errs.form && <p class="form-error" role="alert">{errs.form}</p>}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{busy ? t('ix.saving') : t('ix.submit')}</button>
          <button type="button" class="btn btn-quiet" onClick={onCancel}>{t('common.cancel')}</button>
        </div>
      </form>
    </section>
  );
}

const fieldIds = {
  channel: 'ix-channel',
  direction: 'ix-direction',
  subject: 'ix-subject',
  body: 'ix-body',
  outcome: 'ix-outcome',
  offer: 'ix-offer',
} as const;
