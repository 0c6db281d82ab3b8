// Geomarketing end to end: stores placed from their postal code or given
// coordinates; customers with known postal codes land in the expected
// département and région at the La Poste commune point; distances and the
// nearest store agree with an independent computation here (the shipped
// file parsed in JavaScript, haversine); areas carry customers, revenue,
// average basket, campaign response and distance; segments "within 20 km of
// the Lyon store"; unknown postal codes count as "unknown"; bad input leaves
// the stores as they were.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { startServer, person, userWithRole, cli } from './harness.mjs';

let srv;

// ---------------------------------------------------------------- reference
const rows = gunzipSync(readFileSync('data/geo/laposte_hexasmal.csv.gz')).toString('utf8')
  .split('\n').slice(1).filter(Boolean).map((l) => {
    const [insee, name, postal, , label, gps] = l.split(';');
    const [lat, lon] = gps ? gps.split(',').map(Number) : [NaN, NaN];
    return { insee, name, postal, label, lat, lon };
  });
const norm = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase()
  .replace(/[^A-Z0-9]+/g, ' ').trim().split(' ').map((w) => (w === 'SAINT' ? 'ST' : w === 'SAINTE' ? 'STE' : w)).join(' ');
/** The commune of a postal code whose name or routing label is the city. */
function commune(postal, city) {
  const r = rows.find((x) => x.postal === postal && (x.name === norm(city) || x.label === norm(city)));
  assert.ok(r, `${postal} ${city} is in the file`);
  return r;
}
const deptOf = (insee) => (insee.startsWith('97') ? insee.slice(0, 3) : insee.slice(0, 2));
function km(lat1, lon1, lat2, lon2) {
  const d = Math.PI / 180, R = 6371.0088;
  const a = Math.sin((lat2 - lat1) * d / 2) ** 2
    + Math.cos(lat1 * d) * Math.cos(lat2 * d) * Math.sin((lon2 - lon1) * d / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(a));
}

// ---------------------------------------------------------------- fixtures
const PEOPLE = [
  ['69003', 'Lyon', '69', '84'], ['69001', 'Lyon', '69', '84'], ['69100', 'Villeurbanne', '69', '84'],
  ['69500', 'Bron', '69', '84'], ['69130', 'Écully', '69', '84'], ['42000', 'Saint-Étienne', '42', '84'],
  ['38000', 'Grenoble', '38', '84'], ['01000', 'Bourg-en-Bresse', '01', '84'], ['75011', 'Paris', '75', '11'],
  ['33000', 'Bordeaux', '33', '75'], ['20000', 'Ajaccio', '2A', '94'], ['97400', 'Saint-Denis', '974', '04'],
];
const made = []; // {id, postal, city, dept, region, lat, lon}
let stores; // code -> {lat, lon, active}
let unknownIds = [];

async function customer(extra) {
  const r = await srv.req('POST', '/api/v1/customers', person(extra));
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.id;
}

before(async () => {
  srv = await startServer();
  for (const [postal, city, dept, region] of PEOPLE) {
    const id = await customer({ addresses: [{ line1: '1 rue de la Paix', postal_code: postal, city, country: 'FR' }] });
    const c = commune(postal, city);
    assert.equal(deptOf(c.insee), dept);
    made.push({ id, postal, city, dept, region, lat: c.lat, lon: c.lon });
  }
  unknownIds = [
    await customer({ addresses: [{ postal_code: '99999', city: 'Nulle-Part', country: 'FR' }] }),
    await customer({}),
    await customer({ addresses: [{ postal_code: '10115', city: 'Berlin', country: 'DE' }] }),
  ];
});

after(async () => { await srv.stop(); });

test('stores: placed from the postal code or by coordinates; bad input is refused naming the field and changes nothing', async () => {
  let r = await srv.req('POST', '/api/v1/geo/stores', { code: 'lyon', name: 'Lyon Bellecour', latitude: 45.7578, longitude: 4.832 });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.match(r.headers.get('location'), /\/api\/v1\/geo\/stores\/\d+$/);
  r = await srv.req('POST', '/api/v1/geo/stores', { code: 'paris', name: 'Paris Louvre', postal_code: '75001', city: 'Paris' });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const p = commune('75001', 'Paris');
  assert.ok(Math.abs(r.json.latitude - p.lat) < 1e-9 && Math.abs(r.json.longitude - p.lon) < 1e-9);
  r = await srv.req('POST', '/api/v1/geo/stores', { code: 'grenoble', name: 'Grenoble (closed)', postal_code: '38000', city: 'Grenoble', active: false });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const before = (await srv.req('GET', '/api/v1/geo/stores')).json.items;
  assert.deepEqual(before.map((s) => s.code), ['grenoble', 'lyon', 'paris']);

  const bad = [
    [{ code: 'nowhere', name: 'X', postal_code: '99999' }, 422, 'postal_code'],
    [{ code: 'half', name: 'X', latitude: 45 }, 422, 'longitude'],
    [{ code: 'north', name: 'X', latitude: 91, longitude: 0 }, 422, 'latitude'],
    [{ code: 'Lyon 2!', name: 'X', latitude: 45, longitude: 4 }, 422, 'code'],
    [{ code: 'lyon', name: 'Again', latitude: 45, longitude: 4 }, 409, 'code'],
    [{ code: 'x', name: 'X', latitude: 'north', longitude: 4 }, 422, 'latitude'],
    [{ code: 'x', name: 'X', latitude: 45, longitude: 4, color: 'red' }, 422, 'color'],
    [{ name: 'no code', latitude: 45, longitude: 4 }, 422, 'code'],
    [{ code: 'nocoords', name: 'X' }, 422, 'latitude'],
  ];
  for (const [body, status, field] of bad) {
    const b = await srv.req('POST', '/api/v1/geo/stores', body);
    assert.equal(b.status, status, `${JSON.stringify(body)} → ${JSON.stringify(b.json)}`);
    assert.match(b.headers.get('content-type'), /problem\+json/);
    assert.ok(JSON.stringify(b.json).includes(field), `${field} named in ${JSON.stringify(b.json)}`);
  }
  const paris = before.find((s) => s.code === 'paris');
  const u = await srv.req('PATCH', `/api/v1/geo/stores/${paris.id}`, { latitude: 200, longitude: 2 });
  assert.equal(u.status, 422);
  assert.equal((await srv.req('PATCH', '/api/v1/geo/stores/999999', { name: 'x' })).status, 404);
  assert.deepEqual((await srv.req('GET', '/api/v1/geo/stores')).json.items, before);

  // a throwaway store: renamed, then deleted
  r = await srv.req('POST', '/api/v1/geo/stores', { code: 'tmp', name: 'Temp', latitude: 48, longitude: 2 });
  assert.equal((await srv.req('PATCH', `/api/v1/geo/stores/${r.json.id}`, { name: 'Temp 2' })).json.name, 'Temp 2');
  assert.equal((await srv.req('DELETE', `/api/v1/geo/stores/${r.json.id}`)).status, 204);
  assert.equal((await srv.req('GET', `/api/v1/geo/stores/${r.json.id}`)).status, 404);

  stores = Object.fromEntries(before.map((s) => [s.code, { lat: s.latitude, lon: s.longitude, active: s.active }]));

  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('POST', '/api/v1/geo/stores', { code: 'a', name: 'A', latitude: 1, longitude: 1 }, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('GET', '/api/v1/geo/areas', undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/geo/areas', undefined, { auth: null })).status, 401);
});

/** Nearest active store and its distance, computed here. */
function nearest(c) {
  let best = null;
  for (const [code, s] of Object.entries(stores)) {
    if (!s.active) continue;
    const d = km(c.lat, c.lon, s.lat, s.lon);
    if (!best || d < best.km) best = { code, km: d };
  }
  return best;
}

test('each customer: département, région, commune point, distance to every store and the nearest active one', async () => {
  for (const c of made) {
    const r = await srv.req('GET', `/api/v1/geo/customers/${c.id}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.departement, c.dept, `${c.postal} ${c.city}`);
    assert.equal(r.json.region, c.region, `${c.postal} ${c.city}`);
    assert.ok(Math.abs(r.json.latitude - c.lat) < 1e-9 && Math.abs(r.json.longitude - c.lon) < 1e-9, `${c.city} point`);
    for (const [code, s] of Object.entries(stores).filter(([, x]) => x.active))
      assert.ok(Math.abs(r.json.distances_km[code] - km(c.lat, c.lon, s.lat, s.lon)) < 1e-6, `${c.city} → ${code}`);
    assert.equal(r.json.distances_km.grenoble, undefined); // inactive
    const n = nearest(c);
    assert.equal(r.json.nearest_store, n.code, c.city);
    assert.ok(Math.abs(r.json.nearest_store_km - n.km) < 1e-6);
  }
  // Grenoble's own store is closed: the nearest is Lyon, about 95 km away
  const g = (await srv.req('GET', `/api/v1/geo/customers/${made.find((c) => c.city === 'Grenoble').id}`)).json;
  assert.equal(g.nearest_store, 'lyon');
  assert.ok(g.nearest_store_km > 80 && g.nearest_store_km < 110, String(g.nearest_store_km));
  const u = (await srv.req('GET', `/api/v1/geo/customers/${unknownIds[0]}`)).json;
  assert.equal(u.departement, null);
  assert.equal(u.nearest_store, null);
  assert.deepEqual(u.distances_km, {});
  assert.equal((await srv.req('GET', '/api/v1/geo/customers/999999')).status, 404);
});

test('areas by département, région and country count every customer once; unknown postal codes are an area, not an error', async () => {
  const dep = await srv.req('GET', '/api/v1/geo/areas?level=departement&kpi=customers');
  assert.equal(dep.status, 200);
  const want = {};
  for (const c of made) want[c.dept] = (want[c.dept] ?? 0) + 1;
  want.unknown = unknownIds.length;
  const got = Object.fromEntries(dep.json.areas.map((a) => [a.key, a.customers]));
  assert.deepEqual(got, want);
  assert.equal(dep.json.customers, made.length + unknownIds.length);
  assert.equal(dep.json.areas.at(-1).key, 'unknown');
  assert.equal(dep.json.areas[0].key, '69'); // the most customers first
  assert.equal(dep.json.areas[0].name, 'Rhône');
  assert.equal(dep.json.areas.find((a) => a.key === '2A').name, 'Corse-du-Sud');

  const reg = (await srv.req('GET', '/api/v1/geo/areas?level=region')).json;
  const wantR = {};
  for (const c of made) wantR[c.region] = (wantR[c.region] ?? 0) + 1;
  wantR.unknown = unknownIds.length;
  assert.deepEqual(Object.fromEntries(reg.areas.map((a) => [a.key, a.customers])), wantR);
  assert.equal(reg.areas.find((a) => a.key === '84').name, 'Auvergne-Rhône-Alpes');

  const ctry = (await srv.req('GET', '/api/v1/geo/areas?level=country')).json;
  assert.deepEqual(Object.fromEntries(ctry.areas.map((a) => [a.key, a.customers])),
    { FR: made.length + 1, DE: 1, unknown: 1 });

  const pc = (await srv.req('GET', '/api/v1/geo/areas?level=postal_code')).json;
  assert.equal(pc.areas.find((a) => a.key === '69003').customers, 1);
  assert.equal(pc.areas.find((a) => a.key === 'FR-99999').customers, 1);

  for (const [q, field] of [['level=moon', 'level'], ['kpi=happiness', 'kpi'], ['campaign_id=x', 'campaign_id']]) {
    const b = await srv.req('GET', `/api/v1/geo/areas?${q}`);
    assert.equal(b.status, 400, q);
    assert.ok(JSON.stringify(b.json).includes(field));
  }
});

test('revenue, average basket and mean distance to the nearest store by département', async () => {
  const lyon = made.filter((c) => c.dept === '69');
  const amounts = [[12000, 8000], [5000], [], [3000, 3000, 3000], []];
  for (let i = 0; i < lyon.length; i++)
    for (const a of amounts[i]) {
      const r = await srv.req('POST', '/api/v1/orders', { customer_id: lyon[i].id, ordered_at: '2026-01-10T10:00:00Z', total_minor: a, currency: 'EUR' });
      assert.equal(r.status, 201, JSON.stringify(r.json));
    }
  const paris = made.find((c) => c.dept === '75');
  await srv.req('POST', '/api/v1/orders', { customer_id: paris.id, ordered_at: '2026-01-11T10:00:00Z', total_minor: 90000, currency: 'EUR' });

  const rev = (await srv.req('GET', '/api/v1/geo/areas?level=departement&kpi=revenue')).json;
  assert.equal(rev.areas[0].key, '75');
  const r69 = rev.areas.find((a) => a.key === '69');
  assert.equal(r69.revenue_minor, 34000);
  assert.equal(r69.buyers, 3);
  assert.equal(r69.average_basket_minor, Math.round(34000 / 6));
  assert.equal(r69.value, 34000);
  assert.equal(rev.areas.find((a) => a.key === '38').average_basket_minor, null);

  const dist = (await srv.req('GET', '/api/v1/geo/areas?level=departement&kpi=nearest_store_km')).json;
  for (const dept of ['69', '42', '33']) {
    const cs = made.filter((c) => c.dept === dept);
    const mean = cs.reduce((s, c) => s + nearest(c).km, 0) / cs.length;
    const a = dist.areas.find((x) => x.key === dept);
    assert.ok(Math.abs(a.nearest_store_km - mean) < 1e-3, `${dept}: ${a.nearest_store_km} vs ${mean}`);
  }
  assert.equal(dist.areas[0].key, '974'); // La Réunion is the farthest from any store
  assert.equal(dist.areas.at(-1).key, 'unknown');
});

test('segments: "within 20 km of the Lyon store" matches the count computed here; by département, région and nearest store', async () => {
  const count = async (expr) => {
    const r = await srv.req('POST', '/api/v1/segments/count', { expr });
    assert.equal(r.status, 200, `${expr}: ${JSON.stringify(r.json)}`);
    return r.json.count;
  };
  const L = stores.lyon;
  const within = made.filter((c) => km(c.lat, c.lon, L.lat, L.lon) <= 20).length;
  assert.ok(within >= 4 && within < made.length, String(within));
  assert.equal(await count('distance_km.lyon <= 20'), within);
  assert.equal(await count('nearest_store = lyon AND nearest_store_km <= 20'), within);
  assert.equal(await count('departement = 69'), made.filter((c) => c.dept === '69').length);
  assert.equal(await count('region = "84"'), made.filter((c) => c.region === '84').length);
  assert.equal(await count('departement in ["2A", "974"]'), 2);
  assert.equal(await count('nearest_store = paris'), made.filter((c) => nearest(c).code === 'paris').length);
  const bad = await srv.req('POST', '/api/v1/segments/count', { expr: 'distance_km.marseille < 5' });
  assert.equal(bad.status, 422);
  const fields = (await srv.req('GET', '/api/v1/segments/fields')).json.fields.map((f) => f.name);
  for (const f of ['departement', 'region', 'nearest_store', 'nearest_store_km', 'distance_km.lyon', 'distance_km.paris'])
    assert.ok(fields.includes(f), f);
  assert.ok(!fields.includes('distance_km.grenoble')); // inactive
});

test('campaign response by département: recipients who ordered within the window responded', async () => {
  const targets = made.filter((c) => ['69', '38'].includes(c.dept));
  for (const c of targets) {
    const k = await srv.req('POST', `/api/v1/customers/${c.id}/consents`, { channel: 'mail', purpose: 'marketing', granted: true });
    assert.equal(k.status, 201, JSON.stringify(k.json));
  }
  const cam = await srv.req('POST', '/api/v1/campaigns', {
    name: 'Catalogue', channel: 'mail', control_pct: 0, subject_fr: 'Catalogue', body_fr: 'Bonjour', body_en: 'Hello', subject_en: 'Catalogue',
    customer_ids: targets.map((c) => c.id),
  });
  assert.equal(cam.status, 201, JSON.stringify(cam.json));
  const l = await srv.req('POST', `/api/v1/campaigns/${cam.json.id}/launch`);
  assert.equal(l.status, 200, JSON.stringify(l.json));
  const queued = l.json.launch.queued;
  assert.equal(queued, targets.length, JSON.stringify(l.json.launch));
  const buyers = targets.filter((c) => c.dept === '69').slice(0, 2);
  for (const c of buyers) {
    const r = await srv.req('POST', '/api/v1/orders', { customer_id: c.id, ordered_at: new Date(Date.now() + 60000).toISOString(), total_minor: 4200, currency: 'EUR' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  const resp = (await srv.req('GET', `/api/v1/geo/areas?level=departement&kpi=response_rate&campaign_id=${cam.json.id}`)).json;
  const a69 = resp.areas.find((a) => a.key === '69');
  const n69 = targets.filter((c) => c.dept === '69').length;
  assert.equal(a69.targeted, n69);
  assert.equal(a69.responded, 2);
  assert.ok(Math.abs(a69.response_rate - 2 / n69) < 1e-9);
  const a38 = resp.areas.find((a) => a.key === '38');
  assert.equal(a38.targeted, 1);
  assert.equal(a38.response_rate, 0);
  assert.equal(resp.areas.find((a) => a.key === '75').response_rate, null); // not targeted
  assert.equal(resp.areas[0].key, '69');
});

test('shapes: the shipped outlines of départements and régions, as GeoJSON', async () => {
  const d = await srv.req('GET', '/api/v1/geo/shapes/departements');
  assert.equal(d.status, 200);
  assert.match(d.headers.get('content-type'), /geo\+json/);
  assert.equal(d.json.type, 'FeatureCollection');
  assert.equal(d.json.features.length, 96);
  assert.ok(d.json.features.some((f) => f.properties.code === '2A'));
  const r = await srv.req('GET', '/api/v1/geo/shapes/regions');
  assert.equal(r.json.features.length, 13);
  assert.equal((await srv.req('GET', '/api/v1/geo/shapes/communes')).status, 404);
  assert.equal((await srv.req('GET', '/api/v1/geo/shapes/..%2F..%2Fetc%2Fpasswd')).status, 404);
});

test('the command line gives the same areas; bad options exit 1 or 2', async () => {
  const api = (await srv.req('GET', '/api/v1/geo/areas?level=region&kpi=customers')).json;
  const r = cli(['geo', 'areas', '--level', 'region', '--json', '--db', srv.db]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).areas.map((a) => [a.key, a.customers]), api.areas.map((a) => [a.key, a.customers]));
  const table = cli(['geo', 'areas', '--db', srv.db]);
  assert.match(table.stdout, /^69\s+Rhône\s+5\s/m);
  assert.equal(cli(['geo', 'areas', '--level', 'moon', '--db', srv.db]).status, 1);
  assert.equal(cli(['geo', 'customer', '999999', '--db', srv.db]).status, 2);
  assert.equal(cli(['geo', 'everything', '--db', srv.db]).status, 1);
  const st = cli(['geo', 'stores', '--db', srv.db]);
  assert.deepEqual(JSON.parse(st.stdout).items.map((x) => x.code), ['grenoble', 'lyon', 'paris']);
});
