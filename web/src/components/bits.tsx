// Small shared pieces: error box, empty state, badges, definition lists.
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api';
import { useI18n, type I18n } from '../i18n';

/** Plain words for an error from the API (or the network). */
export function errorText(e: unknown, i: I18n): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return i.t('error.network');
    if (e.status === 403) return i.t('error.forbidden');
    if (e.status === 404) return i.t('error.notFound');
    if (e.status === 429) return i.t('auth.tooMany');
    const fields = e.errors.map((f) => f.message).filter(Boolean);
    return e.detail || fields.join(' ') || e.title || i.t('error.generic', { detail: String(e.status) });
  }
  return i.t('error.generic', { detail: e instanceof Error ? e.message : String(e) });
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const i = useI18n();
  return (
    <div class="error-box" role="alert">
      <p>{errorText(error, i)}</p>
      {onRetry && (
        <button type="button" class="btn" onClick={onRetry}>
          {i.t('error.retry')}
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children, icon = '○' }: { title: string; children?: ComponentChildren; icon?: string }) {
  return (
    <div class="empty">
      <div class="empty-icon" aria-hidden="true">
        {icon}
      </div>
      <h2>{title}</h2>
      {children && <p>{children}</p>}
    </div>
  );
}

export function Badge({ tone = 'plain', children }: { tone?: string; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

export function lifecycleTone(l: string | null | undefined): string {
  switch (l) {
    case 'active':
      return 'good';
    case 'new':
      return 'info';
    case 'prospect':
      return 'plain';
    case 'inactive':
      return 'warn';
    case 'former':
      return 'bad';
    default:
      return 'plain';
  }
}

/** A definition list that skips empty values. */
export function Facts({ rows }: { rows: [string, ComponentChildren | null | undefined | false][] }) {
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== '' && v !== false);
  if (!shown.length) return null;
  return (
    <dl class="facts">
      {shown.map(([k, v]) => (
        <div class="fact" key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Card({ title, children, id, actions }: { title: string; children: ComponentChildren; id?: string; actions?: ComponentChildren }) {
  const hid = id ? `${id}-h` : undefined;
  return (
    <section class="card" id={id} aria-labelledby={hid}>
      <div class="card-head">
        <h2 id={hid}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}
