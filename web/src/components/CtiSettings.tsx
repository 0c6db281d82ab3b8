// Telephony settings (admin): the call-event webhook's shared secret
// (write-only) and the phone system's click-to-call URL. Shown in the
// Channels tab of the Settings page.
import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { Card, errorText } from './bits';
import { ctiSettings, saveCtiSettings, type CtiSettings as Doc } from '../api/cti';

export function CtiSettings() {
  const i = useI18n();
  const { t } = i;
  const [doc, setDoc] = useState<Doc | null>(null);
  const [secret, setSecret] = useState('');
  const [url, setUrl] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    ctiSettings().then((d) => { setDoc(d); setUrl(d.originate_url); }).catch((e) => setError(errorText(e, i)));
  }, []);
  const save = async (e: Event) => {
    e.preventDefault();
    setNote('');
    setError(null);
    try {
      const d = await saveCtiSettings({ originate_url: url, ...(secret ? { secret } : {}) });
      setDoc(d);
      setSecret('');
      setNote(t('cti.set.saved'));
    } catch (err) {
      setError(errorText(err, i));
    }
  };
  return (
    <form onSubmit={save} aria-label={t('cti.set.title')}>
      <Card title={t('cti.set.title')} id="set-cti">
        <p class="muted">{t('cti.set.help')}</p>
        <div class="settings-form">
          <label>{t('cti.set.secret')} <input type="password" autocomplete="new-password" minLength={16} placeholder={doc?.secret_set ? '••••••••' : ''} value={secret} onInput={(e) => setSecret(e.currentTarget.value)} /></label>
          <label>{t('cti.set.url')} <input type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} /></label>
        </div>
        <div class="settings-actions"><button class="btn primary" type="submit">{t('cti.set.save')}</button></div>
        <p class="notice" role="status" aria-live="polite">{note}</p>
        {error && <p class="error" role="alert">{error}</p>}
      </Card>
    </form>
  );
}
