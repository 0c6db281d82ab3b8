// Surveys on the loyalty page: the list with results, a survey's score
// distribution (bars, and promoters / passives / detractors for NPS), closing
// a survey, and the editor of new surveys – CSAT, NPS, or a custom
// questionnaire of scale, choice, yes/no and text questions.
import { useCallback, useEffect, useState } from 'preact/hooks';
import * as loy from '../api/loyalty';
import type { Survey } from '../api/loyalty';
import * as sv from '../api/surveys';
import type { NewSurvey, Question, QuestionType, Results } from '../api/surveys';
import { ApiError } from '../api';
import { useI18n, type Key } from '../i18n';
import { Badge, Card, EmptyState, errorText } from './bits';
import './surveys.css';

type Row = Survey & { results: Results };

export function SurveysPanel() {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [rows, setRows] = useState<Row[] | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const load = useCallback(async () => {
    try {
      const list = await loy.surveys();
      setRows(await Promise.all(list.map(async (s) => ({ ...s, results: await sv.results(s.id) }))));
    } catch {
      setRows([]);
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);
  const score = (r: Row) => {
    const v = r.kind === 'nps' ? r.results.nps : r.results.csat;
    if (r.kind === 'custom') return r.results.mean === null ? '—' : t('sv.mean', { v: fmt.number(r.results.mean) });
    return v === null || v === undefined ? '—' : r.kind === 'nps' ? `NPS ${fmt.number(v)}` : `CSAT ${fmt.number(v)} %`;
  };
  const close = async (r: Row) => {
    setError('');
    try {
      await sv.closeSurvey(r.id);
      setNote(t('sv.closedNote', { name: r.name }));
      await load();
    } catch (e) {
      setError(errorText(e, i18n));
    }
  };
  const shown = rows?.find((r) => r.id === open);
  return (
    <Card title={t('loy.surveys')} id="loy-surveys">
      {rows === null ? <p class="muted">{t('common.loading')}</p> : rows.length === 0 ? <EmptyState title={t('loy.noSurveys')} /> : (
        <table class="table">
          <caption class="sr-only">{t('loy.surveys')}</caption>
          <thead><tr><th scope="col">{t('loy.survey')}</th><th scope="col">{t('loy.kindCol')}</th><th scope="col">{t('loy.responses')}</th><th scope="col">{t('loy.result')}</th><th scope="col"><span class="sr-only">{t('sv.actions')}</span></th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <th scope="row">{r.name} {r.status === 'closed' && <Badge>{t('loy.closed')}</Badge>}</th>
                <td>{r.kind.toUpperCase()}</td>
                <td>{fmt.number(r.results.responses)}</td>
                <td>{score(r)}</td>
                <td class="actions">
                  <button type="button" class="btn" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>{t('sv.details', { name: r.name })}</button>
                  {r.status !== 'closed' && <button type="button" class="btn" onClick={() => close(r)}>{t('sv.close', { name: r.name })}</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown && <Distribution r={shown} />}
      <p class="notice" role="status" aria-live="polite">{note}</p>
      {error && <p class="error" role="alert">{error}</p>}
      <Editor onCreated={async (name) => { setNote(t('sv.created', { name })); await load(); }} />
    </Card>
  );
}

/** The scores as bars, lowest first; NPS adds its three groups. */
function Distribution({ r }: { r: Row }) {
  const { t, fmt } = useI18n();
  const d = r.results.distribution;
  const keys = Object.keys(d).map(Number).sort((a, b) => a - b);
  const lo = r.kind === 'nps' ? 0 : 1;
  const hi = r.kind === 'nps' ? 10 : r.kind === 'csat' ? 5 : Math.max(5, ...keys);
  const scores = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const max = Math.max(1, ...Object.values(d));
  return (
    <figure class="sv-dist" aria-label={t('sv.distribution', { name: r.name })}>
      <figcaption>{t('sv.distribution', { name: r.name })}</figcaption>
      <div class="sv-bars">
        {scores.map((s) => (
          <div class="sv-bar" key={s} title={`${s}: ${d[String(s)] ?? 0}`}>
            <span class="sv-fill" style={{ height: `${((d[String(s)] ?? 0) / max) * 100}%` }} data-score={s} />
            <span class="sv-label">{s}</span>
            <span class="sr-only">{t('sv.barText', { score: s, n: d[String(s)] ?? 0 })}</span>
          </div>
        ))}
      </div>
      {r.kind === 'nps' && (
        <p>{t('sv.npsGroups', { p: fmt.number(r.results.promoters ?? 0), n: fmt.number(r.results.passives ?? 0), d: fmt.number(r.results.detractors ?? 0) })}</p>
      )}
    </figure>
  );
}

const TYPES: QuestionType[] = ['scale', 'choice', 'yesno', 'text'];

function keyOf(label: string, taken: string[]): string {
  const base = label.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 30) || 'q';
  let k = base;
  for (let i = 2; taken.includes(k); i++) k = `${base}_${i}`;
  return k;
}

function Editor({ onCreated }: { onCreated: (name: string) => Promise<void> }) {
  const i18n = useI18n();
  const { t, label } = i18n;
  const [name, setName] = useState('');
  const [kind, setKind] = useState<NewSurvey['kind']>('csat');
  const [wording, setWording] = useState('');
  const [qs, setQs] = useState<(Question & { choicesText: string })[]>([]);
  const [err, setErr] = useState<{ text: string; field: string | null } | null>(null);
  const addQuestion = () => setQs([...qs, { key: '', label: '', type: 'scale', scale_max: 5, choicesText: '', required: false, attitude: null }]);
  const set = (i: number, q: Partial<Question & { choicesText: string }>) => setQs(qs.map((x, k) => (k === i ? { ...x, ...q } : x)));
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    const body: NewSurvey = { name: name.trim(), kind };
    if (kind !== 'custom' && wording.trim()) body.question = wording.trim();
    if (kind === 'custom') {
      const keys: string[] = [];
      body.questions = qs.map((q) => {
        const key = keyOf(q.label, keys);
        keys.push(key);
        const out: Question = { key, label: q.label.trim(), type: q.type, required: !!q.required };
        if (q.type === 'scale') out.scale_max = q.scale_max;
        if (q.type === 'choice') out.choices = q.choicesText.split(',').map((c) => c.trim()).filter(Boolean);
        if (q.attitude) out.attitude = q.attitude;
        return out;
      });
    }
    try {
      await sv.createSurvey(body);
      setName('');
      setWording('');
      setQs([]);
      await onCreated(body.name);
    } catch (x) {
      setErr({ text: errorText(x, i18n), field: x instanceof ApiError ? x.errors[0]?.field ?? null : null });
    }
  };
  return (
    <form class="sv-editor" onSubmit={submit} aria-label={t('sv.new')}>
      <h3>{t('sv.new')}</h3>
      <div class="sv-row">
        <label>{t('sv.name')} <input required maxLength={200} value={name} aria-invalid={err?.field === 'name'} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>{t('sv.kind')}
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as NewSurvey['kind'])}>
            <option value="csat">{t('sv.kind.csat')}</option>
            <option value="nps">{t('sv.kind.nps')}</option>
            <option value="custom">{t('sv.kind.custom')}</option>
          </select>
        </label>
        {kind !== 'custom' && <label class="wide">{t('sv.wording')} <input maxLength={500} placeholder={t(kind === 'nps' ? 'sv.wordingNps' : 'sv.wordingCsat')} value={wording} onInput={(e) => setWording(e.currentTarget.value)} /></label>}
      </div>
      {kind === 'custom' && (
        <fieldset class="sv-questions">
          <legend>{t('sv.questions')}</legend>
          {qs.length === 0 && <p class="muted">{t('sv.noQuestions')}</p>}
          {qs.map((q, i) => (
            <div class="sv-q" key={i} role="group" aria-label={t('sv.questionN', { n: i + 1 })}>
              <label class="wide">{t('sv.qLabel')} <input required maxLength={500} value={q.label} aria-invalid={err?.field?.startsWith(`questions[${i}]`) ?? false} onInput={(e) => set(i, { label: e.currentTarget.value })} /></label>
              <label>{t('sv.qType')}
                <select value={q.type} onChange={(e) => set(i, { type: e.currentTarget.value as QuestionType })}>
                  {TYPES.map((ty) => <option key={ty} value={ty}>{label('sv.type', ty)}</option>)}
                </select>
              </label>
              {q.type === 'scale' && <label>{t('sv.scaleMax')} <input type="number" min={2} max={10} value={q.scale_max} onInput={(e) => set(i, { scale_max: Number(e.currentTarget.value) })} /></label>}
              {q.type === 'choice' && <label class="wide">{t('sv.choices')} <input required value={q.choicesText} placeholder={t('sv.choicesHint')} onInput={(e) => set(i, { choicesText: e.currentTarget.value })} /></label>}
              {q.type === 'scale' && (
                <label>{t('sv.attitude')}
                  <select value={q.attitude ?? ''} onChange={(e) => set(i, { attitude: (e.currentTarget.value || null) as Question['attitude'] })}>
                    <option value="">{t('sv.attitude.none')}</option>
                    <option value="satisfaction">{t('sv.attitude.satisfaction')}</option>
                    <option value="repurchase_intention">{t('sv.attitude.repurchase_intention')}</option>
                  </select>
                </label>
              )}
              <label class="check"><input type="checkbox" checked={!!q.required} onChange={(e) => set(i, { required: e.currentTarget.checked })} /> {t('sv.required')}</label>
              <button type="button" class="btn" onClick={() => setQs(qs.filter((_, k) => k !== i))}>{t('sv.removeQuestion', { n: i + 1 })}</button>
            </div>
          ))}
          <button type="button" class="btn" onClick={addQuestion}>{t('sv.addQuestion')}</button>
        </fieldset>
      )}
      {err && <p class="error" role="alert">{err.field ? <strong>{fieldName(err.field, t)}: </strong> : null}{err.text}</p>}
      <button class="btn primary" type="submit">{t('sv.create')}</button>
    </form>
  );
}

function fieldName(field: string, t: (k: Key, v?: Record<string, string | number>) => string): string {
  const m = /^questions\[(\d+)\]/.exec(field);
  return m ? t('sv.questionN', { n: Number(m[1]) + 1 }) : field;
}
