// A small hash router: `#/customers/42?q=x` → { parts: ['customers','42'], query }.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  path: string;
  parts: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [p, q = ''] = raw.split('?', 2);
  const path = p.startsWith('/') ? p : `/${p}`;
  return {
    path,
    parts: path.split('/').filter(Boolean).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    }),
    query: new URLSearchParams(q),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function navigate(path: string): void {
  location.hash = `#${path}`;
}

/** Rewrites the query of the current hash without a navigation. */
export function replaceQuery(params: Record<string, string>): void {
  const { path } = parseHash(location.hash);
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  history.replaceState(history.state, '', `#${path}${s ? `?${s}` : ''}`);
}
