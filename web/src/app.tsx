// The shell: who is signed in, which page the hash names, and the layout.
import { useCallback, useEffect, useState } from 'preact/hooks';
import * as api from './api';
import type { Session } from './types';
import { useI18n } from './i18n';
import { navigate, useRoute } from './router';
import { Layout } from './components/Layout';
import { Login } from './pages/Login';
import { Dashboard } from './pages/Dashboard';
import { Customers } from './pages/Customers';
import { Customer360 } from './pages/Customer360';
import { Audience } from './pages/Audience';
import { PortalApp } from './portal/PortalApp';
import { Imports } from './pages/Imports';
import { Pipeline } from './pages/Pipeline';
import { Tasks } from './pages/Tasks';
import { ServiceDesk } from './pages/ServiceDesk';
import { Knowledge } from './pages/Knowledge';
import { Segments } from './pages/Segments';
import { Rules } from './pages/Rules';
import { Campaigns } from './pages/Campaigns';
import { Loyalty } from './pages/Loyalty';
import { Settings } from './pages/Settings';
import { Geo } from './pages/Geo';
import { Forms } from './pages/Forms';
import { ErrorBox } from './components/bits';

export type Section = 'dashboard' | 'customers' | 'pipeline' | 'tasks' | 'service' | 'knowledge' | 'marketing' | 'segments' | 'imports' | 'settings' | 'audience' | 'rules' | 'loyalty' | 'geo' | 'forms';

export function App() {
  const { t } = useI18n();
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [bootError, setBootError] = useState<unknown>(null);

  const boot = useCallback(() => {
    setBootError(null);
    api.me().then(setSession, (e) => setBootError(e));
  }, []);

  useEffect(() => {
    boot();
    api.setUnauthorizedHandler(() => setSession(null));
    return () => api.setUnauthorizedHandler(null);
  }, [boot]);

  const onSignedIn = (s: Session) => {
    setSession(s);
    if (route.parts[0] === 'login' || route.parts.length === 0) navigate('/dashboard');
  };

  const onSignOut = async () => {
    try {
      await api.logout();
    } catch {
      /* the session is gone either way */
    }
    setSession(null);
    navigate('/login');
  };

  useEffect(() => {
    const page = route.parts[0] ?? '';
    document.title = session ? `${titleFor(page, t)} · relatio` : `${t('auth.signIn')} · relatio`;
  }, [route.path, session, t]);

  // the customer portal is its own realm: no staff session involved
  if (route.parts[0] === 'portal') return <PortalApp route={route} />;
  if (bootError) {
    return (
      <main class="boot">
        <ErrorBox error={bootError} onRetry={boot} />
      </main>
    );
  }
  if (session === undefined) {
    return (
      <main class="boot" aria-busy="true">
        <p>{t('app.loading')}</p>
      </main>
    );
  }
  if (session === null) return <Login onSignedIn={onSignedIn} />;
  if (route.parts[0] === 'login') return <Redirect to="/dashboard" />;

  const [page = 'dashboard', id] = route.parts;
  let section: Section = 'dashboard';
  let body;
  switch (page) {
    case 'customers':
      section = 'customers';
      body = id ? <Customer360 key={id} id={id} /> : <Customers route={route} />;
      break;
    case 'pipeline':
      section = 'pipeline';
      body = <Pipeline route={route} />;
      break;
    case 'tasks':
      section = 'tasks';
      body = <Tasks />;
      break;
    case 'segments':
      section = 'segments';
      body = <Segments />;
      break;
    case 'rules':
      section = 'rules';
      body = <Rules />;
      break;
    case 'loyalty':
      section = 'loyalty';
      body = <Loyalty />;
      break;
    case 'audience':
      section = 'audience';
      body = <Audience />;
      break;
    case 'service':
      section = 'service';
      body = <ServiceDesk route={route} />;
      break;
    case 'knowledge':
      section = 'knowledge';
      body = <Knowledge route={route} />;
      break;
    case 'marketing':
      section = 'marketing';
      body = <Campaigns />;
      break;
    case 'imports':
      section = 'imports';
      body = <Imports />;
      break;
    case 'geo':
      section = 'geo';
      body = <Geo />;
      break;
    case 'forms':
      section = 'forms';
      body = <Forms />;
      break;
    case 'settings':
      section = 'settings';
      body = <Settings route={route} />;
      break;
    default:
      section = 'dashboard';
      body = <Dashboard />;
  }
  return (
    <Layout user={session.user} section={section} onSignOut={onSignOut}>
      {body}
    </Layout>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to), [to]);
  return null;
}

function titleFor(page: string, t: ReturnType<typeof useI18n>['t']): string {
  switch (page) {
    case 'customers':
      return t('nav.customers');
    case 'pipeline':
      return t('nav.pipeline');
    case 'tasks':
      return t('nav.tasks');
    case 'service':
      return t('nav.service');
    case 'knowledge':
      return t('nav.knowledge');
    case 'audience':
      return t('nav.audience');
    case 'geo':
      return t('nav.geo');
    case 'forms':
      return t('nav.forms');
    case 'marketing':
      return t('nav.marketing');
    case 'segments':
      return t('nav.segments');
    case 'rules':
      return t('nav.rules');
    case 'loyalty':
      return t('nav.loyalty');
    case 'imports':
      return t('nav.imports');
    case 'settings':
      return t('nav.settings');
    default:
      return t('nav.dashboard');
  }
}
