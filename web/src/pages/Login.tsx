// Sign in: e-mail and password; the server's complaint is shown next to the
// field it concerns (or next to the password when it names none).
import { useRef, useState } from 'preact/hooks';
import * as api from '../api';
import type { Session } from '../types';
import { useI18n } from '../i18n';
import { errorText } from '../components/bits';
import { LangSwitch } from '../components/LangSwitch';

export function Login({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const i = useI18n();
  const { t } = i;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [errs, setErrs] = useState<{ email?: string; password?: string; form?: string }>({});
  const emailRef = useRef<HTMLInputElement>(null);
  const pwRef = useRef<HTMLInputElement>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const local: typeof errs = {};
    if (!email.trim()) local.email = t('auth.emailRequired');
    if (!password) local.password = t('auth.passwordRequired');
    if (local.email || local.password) {
      setErrs(local);
      (local.email ? emailRef : pwRef).current?.focus();
      return;
    }
    setBusy(true);
    setErrs({});
    try {
      const s = await api.login(email.trim(), password);
      onSignedIn(s);
    } catch (err) {
      const next: typeof errs = {};
      if (err instanceof api.ApiError && (err.status === 401 || err.status === 403)) {
        // in the user's language, whatever the server's wording
        next.password = t('auth.badCredentials');
      } else if (err instanceof api.ApiError && err.status === 429) {
        next.password = t('auth.tooMany');
      } else if (err instanceof api.ApiError && (err.field('email') || err.field('password'))) {
        next.email = err.field('email');
        next.password = err.field('password');
      } else {
        next.form = errorText(err, i);
      }
      setErrs(next);
      setBusy(false);
      (next.email ? emailRef : pwRef).current?.focus();
      if (next.password) pwRef.current?.select();
    }
  };

  return (
    <div class="login-page">
      <div class="login-lang">
        <LangSwitch />
      </div>
      <main class="login-card">
        <div class="brand brand-big">
          <span class="brand-mark" aria-hidden="true">r</span> relatio
        </div>
        <h1>{t('auth.title')}</h1>
        <p class="muted">{t('auth.subtitle')}</p>
        <form onSubmit={submit} noValidate>
          <div class={`field ${errs.email ? 'has-error' : ''}`}>
            <label for="login-email">{t('auth.email')}</label>
            <input
              id="login-email"
              ref={emailRef}
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
              aria-invalid={errs.email ? 'true' : undefined}
              aria-describedby={errs.email ? 'login-email-error' : undefined}
            />
            {errs.email && (
              <p id="login-email-error" class="field-error" role="alert">
                {errs.email}
              </p>
            )}
          </div>
          <div class={`field ${errs.password ? 'has-error' : ''}`}>
            <label for="login-password">{t('auth.password')}</label>
            <input
              id="login-password"
              ref={pwRef}
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
              aria-invalid={errs.password ? 'true' : undefined}
              aria-describedby={errs.password ? 'login-password-error' : undefined}
            />
            {errs.password && (
              <p id="login-password-error" class="field-error" role="alert">
                {errs.password}
              </p>
            )}
          </div>
          {errs.form && (
            <p class="form-error" role="alert">
              {errs.form}
            </p>
          )}
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {busy ? t('auth.signingIn') : t('auth.signIn')}
          </button>
        </form>
      </main>
    </div>
  );
}
