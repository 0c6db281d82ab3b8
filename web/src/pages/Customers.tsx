// Customers: search as you type (debounced, the previous request aborted),
// filters by kind, lifecycle and country, keyset "load more".
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import type { Customer } from '../types';
import { KINDS, LIFECYCLES } from '../types';
import { useI18n } from '../i18n';
import { navigate, replaceQuery, type Route } from '../router';
import { Badge, EmptyState, ErrorBox, lifecycleTone } from '../components/bits';
import { displayName, primaryEmail, primaryPhone } from '../names';
import { PhoneLink } from '../components/CallPopup';

const DEBOUNCE_MS = 150;

interface Filters {
  q: string;
  kind: string;
  lifecycle: string;
  country: string;
}

export function Customers({ route }: { route: Route }) {
  const { t, label, fmt } = useI18n();
  const [f, setF] = useState<Filters>(() => ({
    q: route.query.get('q') ?? '',
    kind: route.query.get('kind') ?? '',
    lifecycle: route.query.get('lifecycle') ?? '',
    country: route.query.get('country') ?? '',
  }));
  const [items, setItems] = useState<Customer[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const ctrl = useRef<AbortController | null>(null);
  const [tick, setTick] = useState(0);

  const country = /^[A-Za-z]{2}$/.test(f.country.trim()) ? f.country.trim().toUpperCase() : '';
  const query = { q: f.q.trim(), kind: f.kind, lifecycle: f.lifecycle, country };

  useEffect(() => {
    replaceQuery({ q: f.q, kind: f.kind, lifecycle: f.lifecycle, country: f.country });
    ctrl.current?.abort();
    const ac = new AbortController();
    ctrl.current = ac;
    setLoading(true);
    const timer = window.setTimeout(async () => {
      try {
        const page = await api.listCustomers(query, ac.signal);
        if (ac.signal.aborted) return;
        setItems(page.items);
        setCursor(page.next_cursor);
        setError(null);
        setDone(true);
      } catch (e) {
        if (api.isAbort(e) || ac.signal.aborted) return;
        setError(e);
      } finally {
        if (!ac.signal.aborted) setLoading(false);
      }
    }, DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      ac.abort();
    };
  }, [query.q, query.kind, query.lifecycle, query.country, tick]);

  const loadMore = async () => {
    const ac = ctrl.current;
    if (!cursor || !ac) return;
    setMore(true);
    try {
      const page = await api.listCustomers({ ...query, cursor }, ac.signal);
      if (ac.signal.aborted) return;
      setItems((prev) => [...prev, ...page.items]);
      setCursor(page.next_cursor);
    } catch (e) {
      if (!api.isAbort(e)) setError(e);
    } finally {
      if (!ac.signal.aborted) setMore(false);
    }
  };

  const set = (k: keyof Filters) => (e: Event) => setF((prev) => ({ ...prev, [k]: (e.currentTarget as HTMLInputElement).value }));

  return (
    <div class="page">
      <h1>{t('cust.title')}</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field field-grow">
          <label for="cust-q">{t('cust.search')}</label>
          <input id="cust-q" type="search" autoComplete="off" placeholder={t('cust.searchPlaceholder')} value={f.q} onInput={set('q')} autoFocus />
        </div>
        <div class="field">
          <label for="cust-kind">{t('cust.kind')}</label>
          <select id="cust-kind" value={f.kind} onChange={set('kind')}>
            <option value="">{t('common.all')}</option>
            {KINDS.map((k) => (
              <option value={k} key={k}>{label('kind', k)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="cust-lifecycle">{t('cust.lifecycle')}</label>
          <select id="cust-lifecycle" value={f.lifecycle} onChange={set('lifecycle')}>
            <option value="">{t('common.all')}</option>
            {LIFECYCLES.map((k) => (
              <option value={k} key={k}>{label('lifecycle', k)}</option>
            ))}
          </select>
        </div>
        <div class="field field-narrow">
          <label for="cust-country">{t('cust.country')}</label>
          <input id="cust-country" type="text" maxLength={2} autoComplete="off" placeholder={t('cust.countryPlaceholder')} value={f.country} onInput={set('country')} />
        </div>
      </form>

      <p class="status muted" role="status" aria-live="polite">
        {loading ? t('cust.searching') : done && !error ? t('cust.count', { n: fmt.number(items.length) }) : ''}
      </p>

      {error ? <ErrorBox error={error} onRetry={() => setTick((n) => n + 1)} /> : null}

      {!error && done && items.length === 0 && !loading && <EmptyState title={t('cust.empty')} icon="⌕" />}

      {items.length > 0 && (
        <div class="table-wrap" aria-busy={loading ? 'true' : undefined}>
          <table class="table table-hover" aria-label={t('cust.results')}>
            <thead>
              <tr>
                <th scope="col">{t('cust.name')}</th>
                <th scope="col">{t('cust.email')}</th>
                <th scope="col">{t('cust.phone')}</th>
                <th scope="col">{t('cust.city')}</th>
                <th scope="col">{t('cust.kind')}</th>
                <th scope="col">{t('cust.lifecycle')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => {
                const a = c.addresses?.find((x) => x.city || x.country) ?? { city: c.city, country: c.country };
                const place = [a.city, a.country ? a.country.toUpperCase() : null].filter(Boolean).join(', ');
                return (
                  <tr key={c.id} class="clickable" onClick={(e) => {
                    if ((e.target as HTMLElement).closest('a, button')) return;
                    navigate(`/customers/${encodeURIComponent(String(c.id))}`);
                  }}>
                    <td>
                      <a class="row-link" href={`#/customers/${encodeURIComponent(String(c.id))}`}>{displayName(c)}</a>
                    </td>
                    <td class="wrap">{primaryEmail(c) ?? t('common.none')}</td>
                    <td class="nowrap">{primaryPhone(c) ? <PhoneLink phone={primaryPhone(c) as string} customerId={Number(c.id)} /> : t('common.none')}</td>
                    <td>{place || t('common.none')}</td>
                    <td class="nowrap">{label('kind', c.kind)}</td>
                    <td>{c.lifecycle ? <Badge tone={lifecycleTone(c.lifecycle)}>{label('lifecycle', c.lifecycle)}</Badge> : t('common.none')}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {cursor && !error && (
        <div class="more">
          <button type="button" class="btn" onClick={loadMore} disabled={more || loading}>
            {more ? t('common.loading') : t('common.loadMore')}
          </button>
        </div>
      )}
    </div>
  );
}
