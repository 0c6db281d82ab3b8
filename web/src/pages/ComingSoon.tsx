import type { Section } from '../app';
import { useI18n, type Key } from '../i18n';
import { EmptyState } from '../components/bits';

export function ComingSoon({ section }: { section: Exclude<Section, 'dashboard' | 'customers'> }) {
  const { t } = useI18n();
  return (
    <div class="page">
      <h1>{t(`nav.${section}` as Key)}</h1>
      <EmptyState title={t('soon.title')} icon="◔">
        {t('soon.body')}
      </EmptyState>
    </div>
  );
}
