// Analytics settings: the defaults of DOMAIN.md, a changed RFM grid and ABC
// cut-offs that the scores follow at once, all-or-nothing validation naming
// the setting, admins only, an audit record, and reset to the defaults.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, person, userWithRole } from './harness.mjs';

const D0 = '2026-07-01';
let srv, maroy;
before(async () => {
  srv = await startServer({ env: { RELATIO_NOW: `${D0}T12:00:00Z` } });
  maroy = (await srv.req('POST', '/api/v1/customers', person({ last_name: 'Maroy' }))).json.id;
  const r = await srv.req('POST', '/api/v1/orders', { customer_id: maroy, ordered_at: '2025-08-01T10:00:00Z', total_minor: 60000, currency: 'EUR' });
  assert.equal(r.status, 201);
});
after(async () => { await srv.stop(); });

const rfmOf = async (id) => (await srv.req('GET', `/api/v1/analytics/rfm?as_of=${D0}&limit=100`)).json.customers.find((c) => c.id === id);
const settings = () => execFileSync('sqlite3', [srv.db, 'SELECT key, value FROM settings ORDER BY key']).toString();

test('the defaults are the seed\'s grid, and nothing is customised', async () => {
  const r = await srv.req('GET', '/api/v1/analytics/settings');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.settings.rfm_grid.bands, [[3, 20], [6, 5], [12, 3], [24, 1]]);
  assert.deepEqual(r.json.settings.rfm_grid.weights, [5, 3, 2]);
  assert.deepEqual(r.json.settings.abc, { mode: 'customers', a: 0.05, b: 0.2 });
  assert.deepEqual(r.json.customized, []);
  assert.deepEqual(r.json.settings, r.json.defaults);
  // the seed's worked example: Maroy scores 5x3 + 3x4 + 2x20 = 67
  assert.equal((await rfmOf(maroy)).score, 67);
});

test('a new grid changes the scores at once; ABC cut-offs too', async () => {
  const grid = { bands: [[6, 10], [12, 4]], weights: [1, 1, 1], window_months: 12 };
  const r = await srv.req('PUT', '/api/v1/analytics/settings', { rfm_grid: grid, abc: { a: 0.1, b: 0.3 } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.customized.sort(), ['abc', 'rfm_grid']);
  assert.deepEqual(r.json.settings.rfm_grid.bands, [[6, 10], [12, 4]]);
  assert.equal(r.json.settings.rfm_grid.f_cap, 20, 'what is not given keeps its default');
  assert.equal(r.json.settings.abc.a, 0.1);
  // the order of 2025-08-01 is 11 months old: band < 12 gives 4 points, F 4, M 20, weights 1
  const s = await rfmOf(maroy);
  assert.deepEqual([s.r, s.f, s.m, s.score], [4, 4, 20, 28]);
  const abc = await srv.req('GET', `/api/v1/analytics/abc?as_of=${D0}&summary=only`);
  assert.equal(abc.status, 200);
  assert.equal(abc.json.model.a_cut, 0.1);
  assert.equal(abc.json.model.b_cut, 0.3);
  const audit = await srv.req('GET', '/api/v1/audit?entity=analytics_settings');
  assert.equal(audit.status, 200);
  assert.ok(audit.json.items.length >= 1, 'the change is audited');
});

test('bad settings are refused naming the setting, and nothing is written', async () => {
  const before = settings();
  const cases = [
    [{ rfm_grid: { bands: [[12, 1], [6, 5]] } }, 'rfm_grid'],
    [{ rfm_grid: { bands: 'x' } }, 'rfm_grid'],
    [{ rfm_grid: { weights: [1, 2] } }, 'rfm_grid'],
    [{ abc: { a: 0.5, b: 0.2 } }, 'abc'],
    [{ abc: { mode: 'nope' } }, 'abc'],
    [{ clv: { months: 0 } }, 'clv'],
    [{ clv: { months: 12 }, abc: { a: 2 } }, 'abc'],
    [{ analytics_stale_seconds: -1 }, 'analytics_stale_seconds'],
    [{ reset: ['no_such_setting'] }, 'reset'],
    [{ rfm_segments: [] }, 'rfm_segments'],
  ];
  for (const [body, field] of cases) {
    const r = await srv.req('PUT', '/api/v1/analytics/settings', body);
    assert.ok(r.status === 400 || r.status === 422, `${JSON.stringify(body)}: ${r.status}`);
    assert.match(r.headers.get('content-type'), /problem\+json/);
    assert.equal(r.json.errors?.[0]?.field?.split('.')[0], field, JSON.stringify(r.json));
  }
  assert.equal(settings(), before, 'nothing written');
});

test('only admins change settings; staff read them', async () => {
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('GET', '/api/v1/analytics/settings', undefined, { auth: analyst.token })).status, 200);
  const r = await srv.req('PUT', '/api/v1/analytics/settings', { clv: { months: 6 } }, { auth: analyst.token });
  assert.equal(r.status, 403);
});

test('reset returns a setting to its default', async () => {
  const r = await srv.req('PUT', '/api/v1/analytics/settings', { reset: ['rfm_grid', 'abc'] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.customized, []);
  assert.equal((await rfmOf(maroy)).score, 67);
});
