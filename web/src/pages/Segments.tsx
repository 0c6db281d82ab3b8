// Segments (Marketing): a builder that counts the customers an expression
// matches as you type, the saved segments with their members, and the
// targeting groups (the seed's groups and the loyalty x profitability
// quadrants) whose definitions can be edited here. Language: docs/segments.md.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import * as seg from '../api/segments';
import type { Member, Segment, SegmentField, TargetingGroup } from '../api/segments';
import { ApiError, isAbort } from '../api';
import { useI18n } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox, errorText, lifecycleTone } from '../components/bits';

const EXAMPLES = [
  'lifecycle = active AND revenue > 500 AND last_purchase < today - 90d',
  'tags contains vip OR rfm_segment in [champions, loyal]',
  'consent.email = granted AND NOT at_risk',
  'country = FR AND age >= 30 AND age < 50',
];

type Live = { state: 'idle' } | { state: 'counting' } | { state: 'ok'; count: number } | { state: 'error'; message: string };

export function Segments() {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [expr, setExpr] = useState(EXAMPLES[0]);
  const [live, setLive] = useState<Live>({ state: 'idle' });
  const [name, setName] = useState('');
  const [editing, setEditing] = useState<Segment | TargetingGroup | null>(null);
  const [saved, setSaved] = useState<Segment[] | null>(null);
  const [groups, setGroups] = useState<TargetingGroup[] | null>(null);
  const [fields, setFields] = useState<SegmentField[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [note, setNote] = useState('');
  const [open, setOpen] = useState<Segment | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const [s, g] = await Promise.all([seg.list(), seg.groups()]);
      setSaved(s);
      setGroups(g.groups);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    load();
    seg.fields().then(setFields, () => setFields([]));
  }, [load]);

  // the live count: debounced, the previous request aborted
  const ctl = useRef<AbortController | null>(null);
  useEffect(() => {
    ctl.current?.abort();
    if (!expr.trim()) {
      setLive({ state: 'idle' });
      return;
    }
    const c = new AbortController();
    ctl.current = c;
    setLive({ state: 'counting' });
    const timer = setTimeout(() => {
      seg.count(expr, c.signal).then(
        (n) => setLive({ state: 'ok', count: n }),
        (e) => {
          if (isAbort(e)) return;
          setLive({ state: 'error', message: e instanceof ApiError && e.status === 422 ? e.detail : errorText(e, i18n) });
        },
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      c.abort();
    };
  }, [expr]);

  const save = async (e: Event) => {
    e.preventDefault();
    setSaveError(null);
    try {
      if (editing) {
        const id = 'segment_id' in editing ? editing.segment_id : editing.id;
        const s = await seg.update(id, { expr, name: name.trim() || editing.name });
        setNote(t('seg.updatedNote', { name: s.name }));
      } else {
        const s = await seg.create({ name: name.trim(), expr });
        setNote(t('seg.savedNote', { name: s.name, count: fmt.number(s.member_count) }));
      }
      setEditing(null);
      setName('');
      await load();
    } catch (err) {
      setSaveError(err);
    }
  };

  const edit = (s: Segment | TargetingGroup) => {
    setEditing(s);
    setName(s.name);
    setExpr(s.expr ?? '');
    document.getElementById('seg-expr')?.focus();
  };

  const del = async (s: Segment) => {
    if (!window.confirm(t('seg.confirmDelete', { name: s.name }))) return;
    try {
      await seg.remove(s.id);
      setNote(t('seg.deletedNote', { name: s.name }));
      if (open?.id === s.id) setOpen(null);
      await load();
    } catch (err) {
      setSaveError(err);
    }
  };

  const own = saved?.filter((s) => !s.group) ?? null;
  const exprError = live.state === 'error' ? live.message : undefined;

  return (
    <div class="page">
      <div class="page-head">
        <h1>{t('seg.title')}</h1>
      </div>
      <p class="sr-only" role="status" aria-live="polite">{note}</p>

      <Card title={editing ? t('seg.editing', { name: editing.name }) : t('seg.builder')} id="seg-builder">
        <form onSubmit={save}>
          <div class="field">
            <label for="seg-expr">{t('seg.expr')}</label>
            <textarea
              id="seg-expr"
              rows={3}
              spellcheck={false}
              value={expr}
              aria-invalid={exprError ? true : undefined}
              aria-describedby="seg-live seg-help"
              onInput={(e) => setExpr((e.target as HTMLTextAreaElement).value)}
            />
            <p id="seg-help" class="muted">{t('seg.help')}</p>
          </div>
          <p id="seg-live" class={`status ${exprError ? 'field-error' : ''}`} role="status" aria-live="polite" data-testid="seg-count">
            {live.state === 'counting' && t('seg.counting')}
            {live.state === 'ok' && (live.count === 1 ? t('seg.matchesOne') : t('seg.matches', { count: fmt.number(live.count) }))}
            {live.state === 'error' && live.message}
          </p>
          <div class="badges" aria-label={t('seg.examples')}>
            {EXAMPLES.map((x) => (
              <button type="button" class="btn btn-quiet" key={x} onClick={() => setExpr(x)}>{x}</button>
            ))}
          </div>
          <div class="filters" style="margin-top:0.8rem">
            <div class="field field-grow">
              <label for="seg-name">{t('seg.name')}</label>
              <input id="seg-name" value={name} maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </div>
            <div class="field">
              <button type="submit" class="btn btn-primary" disabled={!!exprError || !expr.trim() || (!editing && !name.trim())}>
                {editing ? t('seg.update') : t('seg.save')}
              </button>
            </div>
            {editing && (
              <div class="field">
                <button type="button" class="btn" onClick={() => { setEditing(null); setName(''); }}>{t('common.cancel')}</button>
              </div>
            )}
          </div>
          {saveError !== null && <ErrorBox error={saveError} />}
        </form>
        {fields.length > 0 && (
          <details>
            <summary>{t('seg.fields')}</summary>
            <table class="table table-compact" aria-label={t('seg.fields')}>
              <thead>
                <tr><th scope="col">{t('seg.field')}</th><th scope="col">{t('seg.type')}</th><th scope="col">{t('seg.values')}</th></tr>
              </thead>
              <tbody>
                {fields.map((f) => (
                  <tr key={f.name}>
                    <td><code>{f.name}</code></td>
                    <td>{i18n.label('seg.types', f.type)}</td>
                    <td>{f.values ? f.values.join(', ') : f.doc ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        )}
      </Card>

      {error !== null && <ErrorBox error={error} onRetry={load} />}

      <Card title={t('seg.saved')} id="seg-saved">
        {own === null && error === null && <p class="muted" aria-busy="true">{t('common.loading')}</p>}
        {own && !own.length && <EmptyState title={t('seg.none')} icon="◎" />}
        {own && !!own.length && (
          <div class="table-wrap">
            <table class="table" aria-label={t('seg.saved')}>
              <thead>
                <tr>
                  <th scope="col">{t('seg.name')}</th>
                  <th scope="col">{t('seg.expr')}</th>
                  <th scope="col">{t('seg.members')}</th>
                  <th scope="col"><span class="sr-only">{t('seg.actions')}</span></th>
                </tr>
              </thead>
              <tbody>
                {own.map((s) => (
                  <tr key={s.id}>
                    <td><strong>{s.name}</strong> {s.kind === 'static' && <Badge>{t('seg.static')}</Badge>}</td>
                    <td><code>{s.expr ?? t('common.none')}</code></td>
                    <td class="nowrap">{fmt.number(s.member_count)}</td>
                    <td class="nowrap">
                      <button type="button" class="btn" onClick={() => setOpen(s)}>{t('seg.show')}</button>{' '}
                      {s.kind === 'dynamic' && <button type="button" class="btn" onClick={() => edit(s)}>{t('seg.edit')}</button>}{' '}
                      <button type="button" class="btn btn-quiet" aria-label={t('seg.deleteNamed', { name: s.name })} onClick={() => del(s)}>{t('seg.delete')}</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      {open && <Members segment={open} onClose={() => setOpen(null)} />}

      <Card title={t('seg.groups')} id="seg-groups">
        <p class="muted">{t('seg.groupsHelp')}</p>
        {groups && (
          <div class="table-wrap">
            <table class="table" aria-label={t('seg.groups')}>
              <thead>
                <tr>
                  <th scope="col">{t('seg.group')}</th>
                  <th scope="col">{t('seg.expr')}</th>
                  <th scope="col">{t('seg.members')}</th>
                  <th scope="col">{t('seg.revenue')}</th>
                  <th scope="col"><span class="sr-only">{t('seg.actions')}</span></th>
                </tr>
              </thead>
              <tbody>
                {groups.map((g) => (
                  <tr key={g.key}>
                    <td>
                      <strong>{i18n.label('seg.group', g.key)}</strong>
                      {g.kind === 'matrix' && <> <Badge tone="info">{t('seg.matrix')}</Badge></>}
                      <div class="muted">{g.description}</div>
                    </td>
                    <td><code>{g.expr}</code>{g.error && <p class="field-error">{g.error}</p>}</td>
                    <td class="nowrap">{g.count === undefined ? t('common.none') : fmt.number(g.count)}</td>
                    <td class="nowrap">{g.revenue === undefined ? t('common.none') : fmt.money(Math.round(g.revenue * 100), 'EUR')}</td>
                    <td class="nowrap">
                      <button type="button" class="btn" onClick={() => setOpen({ id: g.segment_id, name: g.name, kind: 'dynamic', expr: g.expr } as Segment)}>{t('seg.show')}</button>{' '}
                      <button type="button" class="btn" aria-label={t('seg.editNamed', { name: g.name })} onClick={() => edit(g)}>{t('seg.edit')}</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

function Members({ segment, onClose }: { segment: Segment; onClose: () => void }) {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [items, setItems] = useState<Member[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [cursor, setCursor] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  const more = useCallback(async (after?: number) => {
    setError(null);
    try {
      const p = await seg.members(segment.id, after);
      setItems((old) => (after ? [...old, ...p.items] : p.items));
      setTotal(p.total);
      setCursor(p.next_cursor);
    } catch (e) {
      setError(e);
    }
  }, [segment.id]);
  useEffect(() => { more(); }, [more]);

  return (
    <Card title={t('seg.membersOf', { name: segment.name })} id="seg-members" actions={<button type="button" class="btn btn-quiet" onClick={onClose}>{t('common.close')}</button>}>
      {error !== null && <ErrorBox error={error} onRetry={() => more()} />}
      {total !== null && <p class="muted">{total === 1 ? t('seg.matchesOne') : t('seg.matches', { count: fmt.number(total) })}</p>}
      {total === 0 && <EmptyState title={t('seg.noMembers')} icon="○" />}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label={t('seg.membersOf', { name: segment.name })}>
            <thead>
              <tr>
                <th scope="col">{t('seg.customer')}</th>
                <th scope="col">{t('seg.city')}</th>
                <th scope="col">{t('seg.lifecycle')}</th>
                <th scope="col">{t('seg.orders')}</th>
                <th scope="col">{t('seg.revenue')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.id}>
                  <td><a href={`#/customers/${m.id}`}>{m.display_name}</a>{m.email && <div class="muted">{m.email}</div>}</td>
                  <td>{[m.city, m.country].filter(Boolean).join(', ') || t('common.none')}</td>
                  <td><Badge tone={lifecycleTone(m.lifecycle)}>{i18n.label('lifecycle', m.lifecycle)}</Badge></td>
                  <td>{fmt.number(m.orders_count)}</td>
                  <td class="nowrap">{fmt.money(m.revenue_minor, 'EUR')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor !== null && (
        <button type="button" class="btn" style="margin-top:0.6rem" onClick={() => more(cursor)}>{t('common.loadMore')}</button>
      )}
    </Card>
  );
}
