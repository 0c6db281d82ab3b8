// Knowledge base: search (accents and case folded), the article list by
// language, an article with its helpfulness vote, and the editor (title,
// body, language, category, internal or public, draft or published).
import { useCallback, useEffect, useState } from 'preact/hooks';
import * as svc from '../api/service';
import type { Article, Category } from '../api/service';
import { ApiError } from '../api';
import type { Route } from '../router';
import { navigate } from '../router';
import { useI18n } from '../i18n';
import { Badge, Card, EmptyState, ErrorBox } from '../components/bits';
import './service.css';

export function Knowledge({ route }: { route: Route }) {
  const id = route.parts[1];
  if (id === 'new') return <Editor key="new" id={null} />;
  if (id && route.parts[2] === 'edit') return <Editor key={`e${id}`} id={Number(id)} />;
  if (id) return <ArticleView key={id} id={Number(id)} />;
  return <List />;
}

function List() {
  const i18n = useI18n();
  const { t, fmt } = i18n;
  const [q, setQ] = useState('');
  const [lang, setLang] = useState('');
  const [items, setItems] = useState<Article[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      setItems(q.trim() ? await svc.kbSearch(q, lang || undefined) : await svc.kbList(lang || undefined));
    } catch (e) {
      setError(e);
    }
  }, [q, lang]);
  useEffect(() => {
    const h = setTimeout(load, 200);
    return () => clearTimeout(h);
  }, [load]);

  return (
    <div class="page">
      <div class="page-head">
        <h1>{t('kb.title')}</h1>
        <a class="btn btn-primary" href="#/knowledge/new">+ {t('kb.new')}</a>
      </div>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); load(); }}>
        <div class="field field-inline">
          <label for="kb-q">{t('kb.search')}</label>
          <input id="kb-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field field-inline">
          <label for="kb-lang">{t('kb.lang')}</label>
          <select id="kb-lang" value={lang} onChange={(e) => setLang((e.target as HTMLSelectElement).value)}>
            <option value="">{t('common.all')}</option>
            <option value="fr">{t('lang.fr')}</option>
            <option value="en">{t('lang.en')}</option>
          </select>
        </div>
      </form>
      {error !== null && <ErrorBox error={error} onRetry={load} />}
      {items && !items.length && <EmptyState title={t('kb.none')} icon="?" />}
      {items && !!items.length && (
        <ul class="kb-list" aria-label={t('kb.articles')}>
          {items.map((a) => (
            <li key={a.id}>
              <a href={`#/knowledge/${a.id}`}>{a.title}</a>{' '}
              <Badge tone="plain">{a.lang}</Badge>{' '}
              <Badge tone={a.visibility === 'public' ? 'info' : 'plain'}>{t(a.visibility === 'public' ? 'kb.public' : 'kb.internal')}</Badge>
              {a.status === 'draft' && <> <Badge tone="warn">{t('kb.draft')}</Badge></>}
              <div class="muted">{a.category ?? ''} {a.excerpt ? `· ${a.excerpt}` : `· ${fmt.date(a.updated_at)}`}</div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ArticleView({ id }: { id: number }) {
  const { t, fmt } = useI18n();
  const [a, setA] = useState<Article | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [voted, setVoted] = useState('');
  const load = useCallback(async () => {
    setError(null);
    try {
      setA(await svc.kbGet(id));
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => { load(); }, [load]);
  if (error !== null) return <div class="page"><ErrorBox error={error} onRetry={load} /></div>;
  if (!a) return <div class="page"><p class="muted" aria-busy="true">{t('common.loading')}</p></div>;
  const vote = async (helpful: boolean) => {
    try {
      setA(await svc.kbVote(a.id, helpful));
      setVoted(t('kb.thanks'));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="page">
      <nav class="crumbs" aria-label={t('service.crumbs')}><a href="#/knowledge">{t('kb.title')}</a> › #{a.id}</nav>
      <div class="page-head">
        <h1 lang={a.lang}>{a.title}</h1>
        <a class="btn" href={`#/knowledge/${a.id}/edit`}>{t('kb.edit')}</a>
      </div>
      <p class="muted">{a.category ?? ''} · {t(a.visibility === 'public' ? 'kb.public' : 'kb.internal')} · {fmt.date(a.updated_at)}</p>
      <Card title={t('kb.body')}>
        <div class="kb-body" lang={a.lang}>{a.body}</div>
      </Card>
      <div class="form-actions" role="group" aria-label={t('kb.helpful')}>
        <span>{t('kb.helpful')}</span>
        <button type="button" class="btn" onClick={() => vote(true)}>{t('common.yes')} ({a.helpful})</button>
        <button type="button" class="btn" onClick={() => vote(false)}>{t('common.no')} ({a.not_helpful})</button>
      </div>
      <p role="status" aria-live="polite">{voted}</p>
    </div>
  );
}

function Editor({ id }: { id: number | null }) {
  const { t } = useI18n();
  const [form, setForm] = useState({ title: '', body: '', lang: 'fr', category_id: '', visibility: 'internal', status: 'published' });
  const [cats, setCats] = useState<Category[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    svc.kbCategories().then(setCats, setLoadError);
    if (id)
      svc.kbGet(id).then((a) => setForm({ title: a.title, body: a.body ?? '', lang: a.lang, category_id: a.category_id ? String(a.category_id) : '', visibility: a.visibility, status: a.status }), setLoadError);
  }, [id]);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { title: form.title, body: form.body, lang: form.lang, visibility: form.visibility, status: form.status, category_id: form.category_id ? Number(form.category_id) : null };
    try {
      const a = await svc.kbSave(id, body);
      navigate(`/knowledge/${a.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, {}));
    } finally {
      setBusy(false);
    }
  };
  const fe = (f: string) => error?.field(f);
  const described = (i: string, f: string) => (fe(f) ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${i}-err` } : {});
  const errLine = (i: string, f: string) => fe(f) && <p class="field-error" id={`${i}-err`}>{fe(f)}</p>;
  return (
    <div class="page">
      <nav class="crumbs" aria-label={t('service.crumbs')}><a href="#/knowledge">{t('kb.title')}</a></nav>
      <h1>{id ? t('kb.edit') : t('kb.new')}</h1>
      {loadError !== null && <ErrorBox error={loadError} />}
      <form onSubmit={save} noValidate>
        <div class="field">
          <label for="ka-title">{t('kb.titleLabel')}</label>
          <input id="ka-title" value={form.title} onInput={set('title')} {...described('ka-title', 'title')} />
          {errLine('ka-title', 'title')}
        </div>
        <div class="field">
          <label for="ka-body">{t('kb.body')}</label>
          <textarea id="ka-body" rows={12} value={form.body} onInput={set('body')} {...described('ka-body', 'body')} />
          {errLine('ka-body', 'body')}
        </div>
        <div class="form-row">
          <div class="field">
            <label for="ka-lang">{t('kb.lang')}</label>
            <select id="ka-lang" value={form.lang} onChange={set('lang')}>
              <option value="fr">{t('lang.fr')}</option>
              <option value="en">{t('lang.en')}</option>
            </select>
          </div>
          <div class="field">
            <label for="ka-cat">{t('kb.category')}</label>
            <select id="ka-cat" value={form.category_id} onChange={set('category_id')}>
              <option value="">{t('common.none')}</option>
              {cats.map((c) => <option key={c.id} value={String(c.id)}>{c.name}</option>)}
            </select>
          </div>
          <div class="field">
            <label for="ka-vis">{t('kb.visibility')}</label>
            <select id="ka-vis" value={form.visibility} onChange={set('visibility')}>
              <option value="internal">{t('kb.internal')}</option>
              <option value="public">{t('kb.public')}</option>
            </select>
          </div>
          <div class="field">
            <label for="ka-status">{t('kb.statusLabel')}</label>
            <select id="ka-status" value={form.status} onChange={set('status')}>
              <option value="published">{t('kb.published')}</option>
              <option value="draft">{t('kb.draft')}</option>
            </select>
          </div>
        </div>
        {error && !error.errors.length && <p class="form-error" role="alert">{error.detail || error.title}</p>}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('common.save')}</button>
        </div>
      </form>
    </div>
  );
}
