// Rules and journeys (Marketing): every rule with its template, trigger and
// counts, switched on and off in place; the selected rule's JSON definition,
// edited with the server's errors naming the JSON path; its firing log.
// Language: docs/rules.md.
import { useCallback, useEffect, useState } from 'preact/hooks';
import * as rules from '../api/rules';
import type { Firing, Rule } from '../api/rules';
import { ApiError } from '../api';
import { useI18n } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox, errorText } from '../components/bits';

function triggerText(r: Rule): string {
  const t = (r.definition as { trigger?: { type?: string; event?: string; audience?: string } }).trigger;
  if (!t) return '';
  if (t.type === 'schedule') return `schedule: ${t.audience ?? ''}`;
  if (t.type === 'absence') return `absence: ${t.event ?? ''}`;
  return r.trigger_event ?? t.type ?? '';
}

export function Rules() {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [items, setItems] = useState<Rule[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [rowError, setRowError] = useState<{ id: number; error: unknown } | null>(null);
  const [open, setOpen] = useState<Rule | null>(null);
  const [text, setText] = useState('');
  const [saveError, setSaveError] = useState<string>('');
  const [note, setNote] = useState('');
  const [log, setLog] = useState<Firing[] | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      setItems(await rules.list());
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  const show = async (r: Rule) => {
    setOpen(r);
    setText(JSON.stringify(r.definition, null, 2));
    setSaveError('');
    setNote('');
    setLog(null);
    try {
      setLog(await rules.firings(r.id));
    } catch (e) {
      setLog([]);
      setSaveError(errorText(e, i18n));
    }
  };

  const toggle = async (r: Rule) => {
    setRowError(null);
    try {
      const u = await rules.setEnabled(r.id, !r.enabled);
      setItems((xs) => (xs ?? []).map((x) => (x.id === u.id ? { ...x, enabled: u.enabled } : x)));
      setNote(t(u.enabled ? 'rules.enabledNote' : 'rules.disabledNote', { name: u.name }));
    } catch (e) {
      setRowError({ id: r.id, error: e });
    }
  };

  const save = async () => {
    if (!open) return;
    let definition: unknown;
    try {
      definition = JSON.parse(text);
    } catch (e) {
      setSaveError(t('rules.badJson', { detail: e instanceof Error ? e.message : String(e) }));
      return;
    }
    try {
      const u = await rules.update(open.id, { definition });
      setSaveError('');
      setNote(t('rules.savedNote', { name: u.name, version: String(u.version) }));
      setOpen(u);
      setItems((xs) => (xs ?? []).map((x) => (x.id === u.id ? { ...x, ...u } : x)));
    } catch (e) {
      if (e instanceof ApiError && e.errors.length)
        setSaveError(e.errors.map((f) => `${f.field}: ${f.message}`).join('; '));
      else setSaveError(errorText(e, i18n));
    }
  };

  return (
    <section class="page" aria-labelledby="rules-h">
      <header class="page-head">
        <h1 id="rules-h">{t('rules.title')}</h1>
        <p class="muted">{t('rules.intro')}</p>
      </header>
      <p role="status" class="note" aria-live="polite">
        {note}
      </p>
      {error ? <ErrorBox error={error} onRetry={load} /> : null}
      {items && items.length === 0 ? <EmptyState title={t('rules.empty')} /> : null}
      {items && items.length > 0 ? (
        <Card title={t('rules.listTitle')}>
          <table class="table" aria-label={t('rules.listTitle')}>
            <thead>
              <tr>
                <th scope="col">{t('rules.name')}</th>
                <th scope="col">{t('rules.trigger')}</th>
                <th scope="col">{t('rules.firings')}</th>
                <th scope="col">{t('rules.state')}</th>
                <th scope="col">
                  <span class="sr-only">{t('rules.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>
                    {r.name}{' '}
                    {r.template ? <Badge tone="info">{t('rules.template')}</Badge> : null}
                    {rowError && rowError.id === r.id ? (
                      <p class="field-error" role="alert">
                        {rowError.error instanceof ApiError && rowError.error.errors.length
                          ? rowError.error.errors.map((f) => `${f.field}: ${f.message}`).join('; ')
                          : errorText(rowError.error, i18n)}
                      </p>
                    ) : null}
                  </td>
                  <td>
                    <code>{triggerText(r)}</code>
                  </td>
                  <td>
                    {fmt.number(r.stats.firings)}
                    {r.stats.last_fired_at ? <span class="muted"> · {fmt.dateTime(r.stats.last_fired_at)}</span> : null}
                  </td>
                  <td>
                    <button
                      type="button"
                      class={`btn ${r.enabled ? 'primary' : ''}`}
                      aria-pressed={r.enabled ? 'true' : 'false'}
                      aria-label={t('rules.toggleLabel', { name: r.name })}
                      onClick={() => toggle(r)}
                    >
                      {r.enabled ? t('rules.on') : t('rules.off')}
                    </button>
                  </td>
                  <td>
                    <button type="button" class="btn" onClick={() => show(r)} aria-label={t('rules.openLabel', { name: r.name })}>
                      {t('rules.open')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      {open ? (
        <Card title={open.name} id="rule-detail">
          {open.description ? <p>{open.description}</p> : null}
          <label for="rule-def">{t('rules.definition')}</label>
          <textarea
            id="rule-def"
            rows={14}
            class="code"
            spellcheck={false}
            value={text}
            aria-invalid={saveError ? 'true' : 'false'}
            aria-describedby="rule-def-error"
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          />
          <p id="rule-def-error" class="field-error" role={saveError ? 'alert' : undefined}>
            {saveError}
          </p>
          <button type="button" class="btn primary" onClick={save}>
            {t('rules.save')}
          </button>
          <h2>{t('rules.logTitle')}</h2>
          {log === null ? <p aria-busy="true">{t('app.loading')}</p> : null}
          {log && log.length === 0 ? <p class="muted">{t('rules.noFirings')}</p> : null}
          {log && log.length > 0 ? (
            <table class="table" aria-label={t('rules.logTitle')}>
              <thead>
                <tr>
                  <th scope="col">{t('rules.when')}</th>
                  <th scope="col">{t('rules.customer')}</th>
                  <th scope="col">{t('rules.action')}</th>
                  <th scope="col">{t('rules.status')}</th>
                  <th scope="col">{t('rules.detail')}</th>
                </tr>
              </thead>
              <tbody>
                {log.map((f) => (
                  <tr key={f.id}>
                    <td>{fmt.dateTime(f.at)}</td>
                    <td>
                      <a href={`#/customers/${f.customer_id}`}>#{f.customer_id}</a>
                    </td>
                    <td>
                      <code>{f.action}</code>
                    </td>
                    <td>
                      <Badge tone={f.status === 'done' ? 'good' : f.status === 'failed' ? 'bad' : 'plain'}>{t(`rules.st.${f.status}` as 'rules.st.done')}</Badge>
                    </td>
                    <td>{f.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Card>
      ) : null}
    </section>
  );
}
