// Imports and data quality: a CSV import with a progress bar, its report
// (problems by line and column, rejected rows to download), the duplicate
// pairs to merge or dismiss (with undo), exports, and the quality report.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import * as q from '../api/quality';
import type { DupPair, DupSide, ImportKind, ImportReport, Job, Quality } from '../api/quality';
import { useI18n } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox } from '../components/bits';
import './imports.css';

const KINDS: ImportKind[] = ['customers', 'orders', 'products', 'interactions'];

function sideName(s: DupSide): string {
  return s.name ?? [s.first_name, s.last_name].filter(Boolean).join(' ') ?? `#${s.id}`;
}

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function ImportCard({ onDone }: { onDone: () => void }) {
  const { t, fmt } = useI18n();
  const [kind, setKind] = useState<ImportKind>('customers');
  const [file, setFile] = useState<File | null>(null);
  const [skipBad, setSkipBad] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [fileError, setFileError] = useState('');
  const alive = useRef(true);
  useEffect(() => () => { alive.current = false; }, []);

  const run = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setJob(null);
    if (!file) {
      setFileError(t('imports.fileRequired'));
      return;
    }
    setFileError('');
    try {
      const csv = await q.readText(file);
      setText(csv);
      const id = await q.startImport({ kind, csv, skip_bad: skipBad, dry_run: dryRun, source_name: file.name });
      let j = await q.job(id);
      setJob(j);
      while (j.state === 'running' && alive.current) {
        await new Promise((r) => setTimeout(r, 250));
        j = await q.job(id);
        setJob(j);
      }
      onDone();
    } catch (err) {
      setError(err);
    }
  };

  const report: ImportReport | undefined = job?.result;
  const pct = Math.round((job?.progress ?? 0) * 100);
  return (
    <Card title={t('imports.title')} id="import">
      <form class="form-grid" onSubmit={run} aria-describedby="import-help">
        <p id="import-help" class="muted">{t('imports.help')}</p>
        <label>
          {t('imports.kind')}
          <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as ImportKind)}>
            {KINDS.map((k) => <option key={k} value={k}>{t(`imports.kind.${k}` as never)}</option>)}
          </select>
        </label>
        <label>
          {t('imports.file')}
          <input type="file" accept=".csv,text/csv" aria-invalid={fileError ? 'true' : undefined}
            aria-describedby={fileError ? 'import-file-error' : undefined}
            onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
          {fileError && <span id="import-file-error" class="field-error">{fileError}</span>}
        </label>
        <label class="check"><input type="checkbox" checked={skipBad} onChange={(e) => setSkipBad((e.target as HTMLInputElement).checked)} /> {t('imports.skipBad')}</label>
        <label class="check"><input type="checkbox" checked={dryRun} onChange={(e) => setDryRun((e.target as HTMLInputElement).checked)} /> {t('imports.dryRun')}</label>
        <button type="submit" disabled={job?.state === 'running'}>{t('imports.start')}</button>
      </form>
      {error && <ErrorBox error={error} />}
      {job && (
        <div class="import-progress">
          <progress max={100} value={pct} aria-label={t('imports.progress')}>{pct}%</progress>
          <span role="status">{job.state === 'running' ? `${job.stage} · ${pct} %` : t(`imports.state.${job.state}` as never)}</span>
        </div>
      )}
      {report && (
        <div class="import-report">
          <p>{t('imports.summary', {
            rows: fmt.number(report.rows), created: fmt.number(report.created), updated: fmt.number(report.updated),
            unchanged: fmt.number(report.unchanged), rejected: fmt.number(report.rejected),
          })}</p>
          {report.possible_duplicates ? <p><Badge tone="warn">{t('imports.duplicates', { n: report.possible_duplicates })}</Badge></p> : null}
          {report.problems.length > 0 && (
            <>
              <table class="table" aria-label={t('imports.problems')}>
                <thead><tr><th>{t('imports.line')}</th><th>{t('imports.column')}</th><th>{t('imports.field')}</th><th>{t('imports.message')}</th></tr></thead>
                <tbody>
                  {report.problems.slice(0, 200).map((p, i) => (
                    <tr key={i}><td>{p.line}</td><td>{p.column || ''}</td><td>{p.field}</td><td>{p.message}</td></tr>
                  ))}
                </tbody>
              </table>
              <button type="button" onClick={() => download('rejected-rows.csv', q.rejectedCsv(text, report.problems), 'text/csv')}>
                {t('imports.downloadRejected')}
              </button>
            </>
          )}
        </div>
      )}
    </Card>
  );
}

function DuplicatesCard({ refresh }: { refresh: number }) {
  const { t, fmt, label } = useI18n();
  const [pairs, setPairs] = useState<DupPair[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [undo, setUndo] = useState<{ id: number; name: string } | null>(null);
  const load = useCallback(() => {
    setError(null);
    q.pairs().then(setPairs, setError);
  }, []);
  useEffect(load, [load, refresh]);

  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('dups.title')} id="duplicates"
      actions={<button type="button" disabled={busy} onClick={() => act(q.scan)}>{t('dups.scan')}</button>}>
      {error && <ErrorBox error={error} />}
      {undo && (
        <p role="status" class="notice">
          {t('dups.merged', { name: undo.name })}{' '}
          <button type="button" onClick={() => act(async () => { await q.undo(undo.id); setUndo(null); })}>{t('dups.undo')}</button>
        </p>
      )}
      {pairs && pairs.length === 0 && <EmptyState title={t('dups.none')} />}
      {pairs && pairs.length > 0 && (
        <table class="table" aria-label={t('dups.title')}>
          <thead><tr><th>{t('dups.keep')}</th><th>{t('dups.other')}</th><th>{t('dups.score')}</th><th>{t('dups.reasons')}</th><th><span class="sr-only">{t('dups.actions')}</span></th></tr></thead>
          <tbody>
            {pairs.map((p) => (
              <tr key={`${p.a.id}-${p.b.id}`}>
                <td><a href={`#/customers/${p.a.id}`}>{sideName(p.a)}</a><br /><small>{p.a.email ?? ''} {p.a.postal_code ?? ''}</small></td>
                <td><a href={`#/customers/${p.b.id}`}>{sideName(p.b)}</a><br /><small>{p.b.email ?? ''} {p.b.postal_code ?? ''}</small></td>
                <td>{fmt.number(Math.round(p.score * 100))} %</td>
                <td>{p.reasons.map((r) => <Badge key={r}>{label('dups.reason', r)}</Badge>)}</td>
                <td class="actions">
                  <button type="button" disabled={busy} aria-label={t('dups.mergeInto', { b: sideName(p.b), a: sideName(p.a) })}
                    onClick={() => act(async () => { const m = await q.merge(p.a.id, p.b.id); setUndo({ id: m.id, name: sideName(p.a) }); })}>
                    {t('dups.merge')}
                  </button>{' '}
                  <button type="button" class="secondary" disabled={busy} onClick={() => act(() => q.dismiss(p.a.id, p.b.id))}>{t('dups.dismiss')}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function QualityCard({ refresh }: { refresh: number }) {
  const { t, fmt } = useI18n();
  const [rep, setRep] = useState<Quality | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { q.quality().then(setRep, setError); }, [refresh]);
  const persons = rep?.completeness.person;
  return (
    <Card title={t('quality.title')} id="quality"
      actions={<span class="exports">{t('quality.export')}{' '}
        {['csv', 'vcard', 'json'].map((f) => <a key={f} class="button secondary" href={`/api/v1/export/customers?format=${f}`} download>{f.toUpperCase()}</a>)}</span>}>
      {error && <ErrorBox error={error} />}
      {persons && (
        <>
          <h3>{t('quality.completeness', { n: fmt.number(persons.customers) })}</h3>
          <ul class="bars" aria-label={t('quality.completenessList')}>
            {Object.entries(persons.fields).map(([f, v]) => (
              <li key={f}><span class="bar-label">{f.replace(/_/g, ' ')}</span>
                <span class="bar"><span style={{ width: `${Math.round(v.share * 100)}%` }} /></span>
                <span class="bar-value">{Math.round(v.share * 100)} %</span></li>
            ))}
          </ul>
          <h3>{t('quality.issues')}</h3>
          <ul>
            {rep!.invalid.map((i) => <li key={i.problem}>{i.problem}: {fmt.number(i.count)}</li>)}
            <li>{t('quality.stale', { months: rep!.stale.months, n: fmt.number(rep!.stale.whole_record) })}</li>
            <li>{t('quality.dups', { n: fmt.number(rep!.duplicates.open_pairs) })}</li>
            <li>{t('quality.expired', { n: fmt.number(rep!.expired_sources.customers) })}</li>
          </ul>
        </>
      )}
    </Card>
  );
}

export function Imports() {
  const { t } = useI18n();
  const [refresh, setRefresh] = useState(0);
  return (
    <div class="page imports">
      <h1>{t('imports.heading')}</h1>
      <ImportCard onDone={() => setRefresh((n) => n + 1)} />
      <DuplicatesCard refresh={refresh} />
      <QualityCard refresh={refresh} />
    </div>
  );
}
