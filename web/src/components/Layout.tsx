// The signed-in frame: skip link, header (language, user, sign out), sidebar.
import type { ComponentChildren } from 'preact';
import type { Section } from '../app';
import type { User } from '../types';
import { useI18n, type Key } from '../i18n';
import { LangSwitch } from './LangSwitch';
import { CallPopup } from './CallPopup';

const NAV: { id: Section; key: Key; icon: string }[] = [
  { id: 'dashboard', key: 'nav.dashboard', icon: '▦' },
  { id: 'customers', key: 'nav.customers', icon: '☺' },
  { id: 'pipeline', key: 'nav.pipeline', icon: '⇶' },
  { id: 'tasks', key: 'nav.tasks', icon: '✓' },
  { id: 'service', key: 'nav.service', icon: '☎' },
  { id: 'knowledge', key: 'nav.knowledge', icon: '?' },
  { id: 'marketing', key: 'nav.marketing', icon: '✉' },
  { id: 'audience', key: 'nav.audience', icon: '◔' },
  { id: 'forms', key: 'nav.forms', icon: '✎' },
  { id: 'geo', key: 'nav.geo', icon: '◈' },
  { id: 'segments', key: 'nav.segments', icon: '◎' },
  { id: 'rules', key: 'nav.rules', icon: '⚡' },
  { id: 'loyalty', key: 'nav.loyalty', icon: '★' },
  { id: 'imports', key: 'nav.imports', icon: '⇪' },
  { id: 'settings', key: 'nav.settings', icon: '⚙' },
];

export function Layout({ user, section, onSignOut, children }: { user: User; section: Section; onSignOut: () => void; children: ComponentChildren }) {
  const { t } = useI18n();
  const name = user.name || user.email;
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        {t('app.skip')}
      </a>
      <header class="topbar">
        <a class="brand" href="#/dashboard">
          <span class="brand-mark" aria-hidden="true">r</span> relatio
        </a>
        <div class="topbar-right">
          <LangSwitch />
          <span class="user" title={t('auth.signedInAs', { name: user.email })}>
            <span class="avatar" aria-hidden="true">{initials(name)}</span>
            <span class="user-name">{name}</span>
          </span>
          <button type="button" class="btn btn-quiet" onClick={onSignOut}>
            {t('auth.signOut')}
          </button>
        </div>
      </header>
      <nav class="sidebar" aria-label={t('nav.label')}>
        <ul>
          {NAV.map((n) => (
            <li key={n.id}>
              <a href={`#/${n.id}`} aria-current={n.id === section ? 'page' : undefined} class={n.id === section ? 'active' : ''}>
                <span class="nav-icon" aria-hidden="true">{n.icon}</span>
                {t(n.key)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="content" tabIndex={-1}>
        {children}
      </main>
      <CallPopup />
    </div>
  );
}

function initials(s: string): string {
  const parts = s.replace(/@.*/, '').split(/[\s._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts[1]?.[0] ?? '')).toUpperCase() || '?';
}
