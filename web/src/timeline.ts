// How a timeline entry reads in the user's language. The server sends some
// parts as words (an order's title "Order 123", a consent's "email /
// marketing", an outcome with its offer "offer_refused: Premium"): they are
// taken apart here and put back together with the dictionary's words.
import type { I18n } from './i18n';
import type { TimelineItem } from './types';

export interface Shown {
  title: string;
  outcome: string | null;
  offer: string | null;
  tone: 'good' | 'bad' | 'warn' | 'plain';
}

const BAD = new Set(['offer_refused', 'complaint', 'withdrawn', 'cancelled', 'refunded', 'not_interested']);
const GOOD = new Set(['offer_accepted', 'granted', 'paid', 'completed', 'shipped', 'active']);

export function present(it: TimelineItem, i: I18n): Shown {
  const { t, label } = i;
  let outcome = it.outcome ?? null;
  let offer = it.offer ?? null;
  // "offer_refused: Premium membership" (or ": Premium" with no outcome)
  if (outcome && !offer) {
    const m = /^([a-z_]*): (.+)$/s.exec(outcome);
    if (m) {
      outcome = m[1] || null;
      offer = m[2];
    }
  }
  let title = it.title || label('tl', it.kind);
  if (it.kind === 'order') {
    const m = /^(Order|Refund) (.+)$/.exec(title);
    if (m) title = `${m[1] === 'Refund' ? t('tl.refund') : t('tl.order')} ${m[2]}`;
  } else if (it.kind === 'consent') {
    const m = /^(\w+) \/ (\w+)$/.exec(title);
    if (m) title = `${label('channel', m[1])} · ${label('purpose', m[2])}`;
  }
  const tone = outcome && BAD.has(outcome) ? 'bad' : outcome && GOOD.has(outcome) ? 'good' : 'plain';
  return { title, outcome: outcome ? label('outcome', outcome) : null, offer, tone };
}
