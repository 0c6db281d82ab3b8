// Language state for the whole app: the dictionaries, the chosen language
// (localStorage, <html lang>), t() with {placeholders}, and Intl formatters.
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useMemo, useState, useEffect } from 'preact/hooks';
import { en, type Key } from './en';
import { fr } from './fr';

export type Lang = 'en' | 'fr';
export const LANGS: Lang[] = ['en', 'fr'];
const DICTS: Record<Lang, Record<Key, string>> = { en, fr };
const STORAGE_KEY = 'relatio.lang';

export type { Key };

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'fr') return saved;
  } catch {
    /* storage may be disabled */
  }
  const nav = (navigator.language || 'en').toLowerCase();
  return nav.startsWith('fr') ? 'fr' : 'en';
}

/** Formatting helpers bound to one locale. */
export interface Fmt {
  locale: string;
  /** Money from integer minor units and an ISO 4217 code. */
  money(minor: number | null | undefined, currency: string | null | undefined): string;
  number(n: number | null | undefined): string;
  date(iso: string | null | undefined): string;
  dateTime(iso: string | null | undefined): string;
  month(iso: string): string;
  country(code: string | null | undefined): string;
}

const LOCALES: Record<Lang, string> = { en: 'en-GB', fr: 'fr-FR' };
const NONE = '—';

export function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

function parseDate(iso: string): Date | null {
  // A bare date (YYYY-MM-DD) is a calendar day: show it as such, in UTC.
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T00:00:00Z` : iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function makeFmt(lang: Lang): Fmt {
  const locale = LOCALES[lang];
  const num = new Intl.NumberFormat(locale);
  const day = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const dayTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const month = new Intl.DateTimeFormat(locale, { month: 'short', year: 'numeric', timeZone: 'UTC' });
  let regions: Intl.DisplayNames | null = null;
  try {
    regions = new Intl.DisplayNames([locale], { type: 'region' });
  } catch {
    regions = null;
  }
  const money = new Map<string, Intl.NumberFormat>();
  return {
    locale,
    money(minor, currency) {
      if (minor === null || minor === undefined) return NONE;
      const cur = (currency || 'EUR').toUpperCase();
      let f = money.get(cur);
      if (!f) {
        try {
          f = new Intl.NumberFormat(locale, { style: 'currency', currency: cur });
        } catch {
          f = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
        }
        money.set(cur, f);
      }
      return f.format(minor / 10 ** fractionDigits(cur));
    },
    number(n) {
      return n === null || n === undefined ? NONE : num.format(n);
    },
    date(iso) {
      if (!iso) return NONE;
      const d = parseDate(iso);
      return d ? day.format(d) : iso;
    },
    dateTime(iso) {
      if (!iso) return NONE;
      if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return this.date(iso);
      const d = parseDate(iso);
      return d ? dayTime.format(d) : iso;
    },
    month(iso) {
      const d = parseDate(/^\d{4}-\d{2}$/.test(iso) ? `${iso}-01` : iso);
      return d ? month.format(d) : iso;
    },
    country(code) {
      if (!code) return NONE;
      try {
        return regions?.of(code.toUpperCase()) ?? code;
      } catch {
        return code;
      }
    },
  };
}

export interface I18n {
  lang: Lang;
  setLang(l: Lang): void;
  t(key: Key, vars?: Record<string, string | number>): string;
  /** A label for an enumerated value (`prefix.value`), or the raw value. */
  label(prefix: string, value: string | null | undefined): string;
  fmt: Fmt;
}

export function translate(lang: Lang, key: Key, vars?: Record<string, string | number>): string {
  let s: string = DICTS[lang][key] ?? en[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
  return s;
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ComponentChildren }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo<I18n>(() => {
    const dict = DICTS[lang] as Record<string, string>;
    return {
      lang,
      setLang(l) {
        try {
          localStorage.setItem(STORAGE_KEY, l);
        } catch {
          /* ignore */
        }
        document.documentElement.lang = l; /* at once, not after the next render */
        setLangState(l);
      },
      t: (key, vars) => translate(lang, key, vars),
      label(prefix, value) {
        if (value === null || value === undefined || value === '') return NONE;
        return dict[`${prefix}.${value}`] ?? value.replace(/_/g, ' ');
      },
      fmt: makeFmt(lang),
    };
  }, [lang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
