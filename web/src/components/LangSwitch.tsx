import { LANGS, useI18n, type Lang } from '../i18n';

export function LangSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <div class="lang-switch">
      <label for="lang-select">{t('lang.label')}</label>
      <select id="lang-select" value={lang} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}>
        {LANGS.map((l) => (
          <option value={l} lang={l} key={l}>
            {t(`lang.${l}`)}
          </option>
        ))}
      </select>
    </div>
  );
}
