// Geomarketing API: areas with their KPIs, the shipped outlines, stores.
import { request } from '../api';

export type GeoLevel = 'departement' | 'region' | 'country' | 'postal_code';
export type GeoKpi = 'customers' | 'buyers' | 'revenue' | 'average_basket' | 'targeted' | 'responded'
  | 'response_rate' | 'nearest_store_km';

export interface GeoArea {
  key: string; name: string; customers: number; buyers: number; revenue_minor: number;
  average_basket_minor: number | null; targeted: number | null; responded: number | null;
  response_rate: number | null; nearest_store_km: number | null; value: number | null;
}
export interface GeoAreas { level: string; kpi: string; customers: number; areas: GeoArea[] }

export interface GeoStore {
  id: number; code: string; name: string; postal_code: string | null; city: string | null;
  latitude: number; longitude: number; active: boolean;
}

type Ring = [number, number][];
export interface Shape { code: string; name: string; polygons: Ring[][] }

export async function geoAreas(level: GeoLevel, kpi: GeoKpi, signal?: AbortSignal): Promise<GeoAreas> {
  const q = new URLSearchParams({ level, kpi });
  return (await request<GeoAreas>('GET', `/geo/areas?${q}`, { signal })).data;
}

export async function geoStores(): Promise<GeoStore[]> {
  return (await request<{ items: GeoStore[] }>('GET', '/geo/stores')).data.items;
}

const shapeCache = new Map<string, Promise<Shape[]>>();

/** The outlines of 'departements' or 'regions', fetched once per page load. */
export function geoShapes(level: 'departements' | 'regions'): Promise<Shape[]> {
  let p = shapeCache.get(level);
  if (!p) {
    p = request<{ features: { properties: { code: string; nom: string }; geometry: { type: string; coordinates: unknown } }[] }>(
      'GET', `/geo/shapes/${level}`,
    ).then((a) => a.data.features.map((f) => ({
      code: f.properties.code,
      name: f.properties.nom,
      polygons: f.geometry.type === 'Polygon' ? [f.geometry.coordinates as Ring[]] : (f.geometry.coordinates as Ring[][]),
    })));
    p.catch(() => shapeCache.delete(level));
    shapeCache.set(level, p);
  }
  return p;
}
