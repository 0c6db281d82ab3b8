// Geomarketing: a choropleth of any KPI over the départements or régions of
// metropolitan France, drawn in plain SVG from the shipped outlines (no tile
// server, no map library: an equirectangular projection scaled by the cosine
// of the mean latitude), with a legend, a tooltip, the stores as dots and the
// table of areas (overseas and unknown postal codes included).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useI18n, type Key } from '../i18n';
import { Card, ErrorBox } from '../components/bits';
import { geoAreas, geoShapes, geoStores, type GeoArea, type GeoAreas, type GeoKpi, type GeoStore, type Shape } from '../api/geo';
import './geo.css';

const KPIS: GeoKpi[] = ['customers', 'revenue', 'average_basket', 'response_rate', 'nearest_store_km', 'buyers'];
const CLASSES = ['#c6dbef', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];
const NODATA = '#e5e5e5';
const W = 560, H = 560;

type Level = 'departement' | 'region';

/** The projection of France's box into W × H. */
function projector(shapes: Shape[]) {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const s of shapes) for (const poly of s.polygons) for (const [x, y] of poly[0] ?? []) {
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  const scale = Math.min((W - 20) / ((maxX - minX) * k), (H - 20) / (maxY - minY));
  return (lon: number, lat: number): [number, number] => [10 + (lon - minX) * k * scale, 10 + (maxY - lat) * scale];
}

function pathOf(s: Shape, p: (lon: number, lat: number) => [number, number]): string {
  let d = '';
  for (const poly of s.polygons)
    for (const ring of poly) {
      ring.forEach(([x, y], i) => {
        const [px, py] = p(x, y);
        d += `${i ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`;
      });
      d += 'Z';
    }
  return d;
}

/** Up to five equal-count classes over the values: the breaks between
 * them, strictly increasing (equal values stay in one class). */
function breaks(values: number[]): number[] {
  const v = [...values].sort((a, b) => a - b);
  const b: number[] = [];
  for (const q of [1, 2, 3, 4]) {
    const x = v[Math.min(v.length - 1, Math.floor((q * v.length) / 5))];
    if (x !== undefined && x > v[0] && (!b.length || x > b[b.length - 1])) b.push(x);
  }
  return b;
}

function classOf(v: number, b: number[]): number {
  let c = 0;
  while (c < b.length && v >= b[c]) c++;
  return c;
}

/** The colour of class c of n: spread over the palette, the last the darkest. */
function colour(c: number, n: number): string {
  return CLASSES[n <= 1 ? CLASSES.length - 1 : Math.round((c * (CLASSES.length - 1)) / (n - 1))];
}

export function Geo() {
  const i = useI18n();
  const { t } = i;
  const [level, setLevel] = useState<Level>('departement');
  const [kpi, setKpi] = useState<GeoKpi>('customers');
  const [shapes, setShapes] = useState<Shape[] | null>(null);
  const [data, setData] = useState<GeoAreas | null>(null);
  const [stores, setStores] = useState<GeoStore[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [tip, setTip] = useState<{ x: number; y: number; text: string } | null>(null);

  useEffect(() => {
    setShapes(null);
    geoShapes(level === 'region' ? 'regions' : 'departements').then(setShapes, setErr);
  }, [level]);
  useEffect(() => {
    const ac = new AbortController();
    setData(null);
    geoAreas(level, kpi, ac.signal).then((d) => { setData(d); setErr(null); }, (e) => { if (!ac.signal.aborted) setErr(e); });
    return () => ac.abort();
  }, [level, kpi]);
  useEffect(() => { geoStores().then(setStores, () => setStores([])); }, []);

  const fmtValue = (a: GeoArea | undefined): string => {
    if (!a || a.value === null) return t('geo.noData');
    switch (kpi) {
      case 'revenue': return i.fmt.money(a.revenue_minor, 'EUR');
      case 'average_basket': return i.fmt.money(a.average_basket_minor, 'EUR');
      case 'response_rate': return `${i.fmt.number(Math.round(a.value * 1000) / 10)} %`;
      case 'nearest_store_km': return `${i.fmt.number(Math.round(a.value * 10) / 10)} km`;
      default: return i.fmt.number(a.value);
    }
  };
  const fmtBreak = (v: number): string => {
    switch (kpi) {
      case 'revenue': case 'average_basket': return i.fmt.money(Math.round(v), 'EUR');
      case 'response_rate': return `${i.fmt.number(Math.round(v * 1000) / 10)} %`;
      case 'nearest_store_km': return `${i.fmt.number(Math.round(v))} km`;
      default: return i.fmt.number(Math.round(v));
    }
  };

  const view = useMemo(() => {
    if (!shapes) return null;
    const p = projector(shapes);
    const byKey = new Map((data?.areas ?? []).map((a) => [a.key, a]));
    const vals = shapes.map((s) => byKey.get(s.code)?.value).filter((v): v is number => v !== null && v !== undefined);
    const b = breaks(vals);
    return {
      p, byKey, b,
      paths: shapes.map((s) => ({ s, d: pathOf(s, p), a: byKey.get(s.code) })),
    };
  }, [shapes, data]);

  const kpiKey = (k: GeoKpi) => `geo.kpi.${k}` as Key;
  const extra = !['customers', 'revenue', 'average_basket'].includes(kpi);
  return (
    <div class="page geo">
      <h1>{t('geo.title')}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="geo-level">{t('geo.level')}</label>
          <select id="geo-level" value={level} onChange={(e) => setLevel((e.target as HTMLSelectElement).value as Level)}>
            <option value="departement">{t('geo.level.departement')}</option>
            <option value="region">{t('geo.level.region')}</option>
          </select>
        </div>
        <div class="field">
          <label for="geo-kpi">{t('geo.kpi')}</label>
          <select id="geo-kpi" value={kpi} onChange={(e) => setKpi((e.target as HTMLSelectElement).value as GeoKpi)}>
            {KPIS.map((k) => <option key={k} value={k}>{t(kpiKey(k))}</option>)}
          </select>
        </div>
      </form>
      {err ? <ErrorBox error={err} /> : null}
      <div class="geo-grid">
        <Card title={`${t(kpiKey(kpi))} · ${t(level === 'region' ? 'geo.level.region' : 'geo.level.departement')}`}>
          <div class="geo-map" aria-busy={!view || !data}>
            {view ? (
              <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('geo.mapLabel', { kpi: t(kpiKey(kpi)) })} data-testid="geo-map"
                onMouseLeave={() => setTip(null)}>
                {view.paths.map(({ s, d, a }) => {
                  const v = a?.value;
                  const fill = v === null || v === undefined || !data ? NODATA : colour(classOf(v, view.b), view.b.length + 1);
                  const text = `${s.name} (${s.code}): ${fmtValue(a)}`;
                  return (
                    <path key={s.code} d={d} fill={fill} class="geo-area" data-code={s.code} data-fill={fill}
                      onMouseMove={(e) => {
                        const box = (e.currentTarget as SVGPathElement).ownerSVGElement!.getBoundingClientRect();
                        setTip({ x: e.clientX - box.left + 12, y: e.clientY - box.top + 12, text });
                      }}>
                      <title>{text}</title>
                    </path>
                  );
                })}
                {stores.filter((s) => s.active).map((s) => {
                  const [x, y] = view.p(s.longitude, s.latitude);
                  return (
                    <circle key={s.code} cx={x} cy={y} r={5} class="geo-store">
                      <title>{t('geo.store', { name: s.name })}</title>
                    </circle>
                  );
                })}
              </svg>
            ) : <p>{t('app.loading')}</p>}
            {tip ? <div class="geo-tip" role="tooltip" style={{ left: `${tip.x}px`, top: `${tip.y}px` }}>{tip.text}</div> : null}
          </div>
          {view && data ? (
            <ul class="geo-legend" aria-label={t('geo.legend')} data-testid="geo-legend">
              {[...view.b, null].map((_, k) => {
                const c = colour(k, view.b.length + 1);
                const lo = k === 0 ? null : view.b[k - 1], hi = k < view.b.length ? view.b[k] : null;
                const label = lo === null && hi === null ? t('geo.all')
                  : lo === null ? `< ${fmtBreak(hi!)}` : hi === null ? `≥ ${fmtBreak(lo)}` : `${fmtBreak(lo)} – ${fmtBreak(hi)}`;
                return <li key={k}><span class="swatch" style={{ background: c }} />{label}</li>;
              })}
              <li><span class="swatch" style={{ background: NODATA }} />{t('geo.noData')}</li>
              {stores.some((s) => s.active) ? <li><span class="swatch store" />{t('geo.stores')}</li> : null}
            </ul>
          ) : null}
        </Card>
        <Card title={t('geo.areas')}>
          {data ? (
            <div class="table-wrap">
              <table class="geo-table">
                <thead>
                  <tr>
                    <th scope="col">{t('geo.area')}</th>
                    <th scope="col" class="num">{t('geo.kpi.customers')}</th>
                    <th scope="col" class="num">{t('geo.kpi.revenue')}</th>
                    <th scope="col" class="num">{t('geo.kpi.average_basket')}</th>
                    {extra ? <th scope="col" class="num">{t(kpiKey(kpi))}</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {data.areas.map((a) => (
                    <tr key={a.key}>
                      <td>{a.key === 'unknown' ? t('geo.unknown') : a.key === a.name ? a.key : `${a.name} (${a.key})`}</td>
                      <td class="num">{i.fmt.number(a.customers)}</td>
                      <td class="num">{i.fmt.money(a.revenue_minor, 'EUR')}</td>
                      <td class="num">{i.fmt.money(a.average_basket_minor, 'EUR')}</td>
                      {extra ? <td class="num">{fmtValue(a)}</td> : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : <p>{t('app.loading')}</p>}
          <p class="geo-credit">{t('geo.credit')}</p>
        </Card>
      </div>
    </div>
  );
}
