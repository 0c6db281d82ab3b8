// Data mining through the API and the CLI: the churn score (logistic
// regression on a time split, held-out AUC beside BG/NBD's P(alive), on the
// 360° view), k-means clusters, "also bought" and per-customer
// recommendations that leave out what is owned and offers refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, person, userWithRole, BIN } from './harness.mjs';

const NOW = '2026-06-15';
let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: `${NOW}T12:00:00Z` } }); });
after(async () => { await srv.stop(); });
const run = (args) => spawnSync(BIN, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, RELATIO_LOG: 'warn', RELATIO_NOW: `${NOW}T12:00:00Z` } });

const day = (d) => new Date(Date.UTC(2024, 0, 1) + d * 86400000).toISOString().slice(0, 10);
const ids = { stay: [], gone: [] };

test('churn: trained on the past, evaluated on held-out months, on the 360° view', async () => {
  // 60 customers buying every 20 to 40 days from 2024; half of them stop at
  // a point spread over the history (the churners), the others carry on
  for (let i = 0; i < 60; i++) {
    const id = (await srv.req('POST', '/api/v1/customers', person({ last_name: `C${i}` }))).json.id;
    const gone = i % 2 === 1;
    const stop = gone ? 150 + ((i * 37) % 700) : 897; // 897 = 2026-06-15
    const step = 20 + (i % 5) * 5;
    const orders = [];
    for (let d = i % 17; d <= stop; d += step) orders.push(d);
    await Promise.all(orders.map((d) => srv.req('POST', '/api/v1/orders', { customer_id: id, ordered_at: `${day(d)}T10:00:00Z`, total_minor: 2000 + (i % 7) * 500, currency: 'EUR' })));
    (gone ? ids.gone : ids.stay).push(id);
  }
  const r = await srv.req('GET', `/api/v1/analytics/churn?as_of=${NOW}&horizon=90&limit=500`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const d = r.json;
  assert.equal(d.horizon_days, 90);
  assert.equal(d.summary.customers, 60);
  assert.ok(d.evaluation.train.customers > 0 && d.evaluation.test.customers > d.evaluation.train.customers - 1);
  assert.ok(d.evaluation.test.churned > 0);
  assert.ok(d.evaluation.auc > 0.8, `held-out AUC ${d.evaluation.auc}`);
  assert.equal(typeof d.evaluation.bgnbd_auc, 'number');
  assert.ok(['logistic', 'bgnbd', 'tie'].includes(d.evaluation.better), d.evaluation.better);
  assert.ok(d.model.coefficients.recency_days > 0, 'the longer the silence, the likelier the churn');
  const p = d.customers.map((c) => c.probability);
  assert.deepEqual(p, [...p].sort((a, b) => b - a), 'most at risk first');
  const prob = Object.fromEntries(d.customers.map((c) => [c.id, c.probability]));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(ids.gone.map((i) => prob[i])) > mean(ids.stay.map((i) => prob[i])) + 0.3);
  // the 360° view carries today's score
  const prof = (await srv.req('GET', `/api/v1/customers/${ids.gone[0]}`)).json;
  assert.ok(prof.scores.churn.probability > 0.5, JSON.stringify(prof.scores.churn));
  assert.ok(prof.scores.churn.horizon_days > 0);
  const stay = (await srv.req('GET', `/api/v1/customers/${ids.stay[0]}`)).json;
  assert.ok(stay.scores.churn.probability < prof.scores.churn.probability);
  // errors
  for (const [url, field] of [['churn?horizon=5', 'horizon'], ['churn?limit=900', 'limit'], ['clusters?k=1', 'k'], ['clusters?k=x', 'k']]) {
    const e = await srv.req('GET', `/api/v1/analytics/${url}`);
    assert.equal(e.status, 400, url);
    assert.equal(e.json.errors?.[0]?.field ?? field, field, url);
  }
  const early = await srv.req('GET', '/api/v1/analytics/churn?as_of=2024-03-01&horizon=90');
  assert.equal(early.status, 422, 'no history before 2023-09: nothing to train on');
});

test('clusters: k-means profiles over the buyers', async () => {
  const r = await srv.req('GET', `/api/v1/analytics/clusters?as_of=${NOW}&k=2`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.clusters.length, 2);
  assert.equal(r.json.clusters.reduce((n, c) => n + c.size, 0), 60);
  assert.ok(r.json.clusters[0].size >= r.json.clusters[1].size, 'largest first');
  const rec = r.json.clusters.map((c) => c.profile.recency_days).sort((a, b) => a - b);
  assert.ok(rec[1] > rec[0] + 100, `one cluster of recent buyers, one of lapsed ones: ${rec}`);
  const again = await srv.req('GET', `/api/v1/analytics/clusters?as_of=${NOW}&k=2`);
  assert.deepEqual(again.json.clusters, r.json.clusters, 'deterministic');
  const cli = run(['score', 'clusters', '--k', '3', '--as-of', NOW, '--csv', '--db', srv.db]);
  assert.equal(cli.status, 0, cli.stderr);
  const lines = cli.stdout.trim().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^cluster,size,share,profile\.recency_days/);
  const ch = run(['score', 'churn', '--horizon', '90', '--as-of', NOW, '--json', '--limit', '5', '--db', srv.db]);
  assert.equal(ch.status, 0, ch.stderr);
  const doc = JSON.parse(ch.stdout);
  assert.equal(doc.customers.length, 5);
  assert.equal(run(['score', 'churn', '--horizon', '5', '--db', srv.db]).status, 1);
});

test('recommendations: also bought, owned and refused products left out', async () => {
  const prod = {};
  for (const sku of ['TENT', 'STOVE', 'LAMP', 'MAP', 'BOOT']) {
    const r = await srv.req('POST', '/api/v1/products', { sku, name: `${sku[0]}${sku.slice(1).toLowerCase()}`, category: 'outdoor', price_minor: 1000, currency: 'EUR' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    prod[sku] = r.json.id;
  }
  const basket = async (skus) => {
    const id = (await srv.req('POST', '/api/v1/customers', person())).json.id;
    const r = await srv.req('POST', '/api/v1/orders', { customer_id: id, ordered_at: '2026-06-01T10:00:00Z', currency: 'EUR', lines: skus.map((s) => ({ product_id: prod[s], quantity: 1, unit_price_minor: 1000 })) });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return id;
  };
  // tent buyers: 4 also took a stove, 2 a lamp; a map with a boot once
  for (let i = 0; i < 4; i++) await basket(['TENT', 'STOVE']);
  for (let i = 0; i < 2; i++) await basket(['TENT', 'LAMP']);
  await basket(['MAP', 'BOOT']);
  const x = await basket(['TENT']);
  const also = await srv.req('GET', `/api/v1/products/${prod.TENT}/also-bought?limit=5`);
  assert.equal(also.status, 200, JSON.stringify(also.json));
  assert.equal(also.json.buyers, 7);
  assert.deepEqual(also.json.products.map((p) => p.sku), ['STOVE', 'LAMP']);
  assert.ok(Math.abs(also.json.products[0].similarity - 4 / Math.sqrt(7 * 4)) < 1e-12);
  assert.equal(also.json.products[0].common_buyers, 4);
  let rec = await srv.req('GET', `/api/v1/customers/${x}/recommendations`);
  assert.equal(rec.status, 200, JSON.stringify(rec.json));
  assert.equal(rec.json.basis, 'also bought');
  assert.deepEqual(rec.json.products.map((p) => p.sku), ['STOVE', 'LAMP'], 'not the tent already owned');
  // refused at the store: never offered again
  const i = await srv.req('POST', '/api/v1/interactions', { customer_id: x, channel: 'store', direction: 'inbound', outcome: 'offer_refused', offer: 'stove' });
  assert.equal(i.status, 201, JSON.stringify(i.json));
  rec = await srv.req('GET', `/api/v1/customers/${x}/recommendations`);
  assert.deepEqual(rec.json.products.map((p) => p.sku), ['LAMP']);
  assert.deepEqual(rec.json.refused_offers, ['stove']);
  // a customer with no purchase gets the best sellers
  const fresh = (await srv.req('POST', '/api/v1/customers', person())).json.id;
  rec = await srv.req('GET', `/api/v1/customers/${fresh}/recommendations?limit=2`);
  assert.equal(rec.json.basis, 'best sellers');
  assert.deepEqual(rec.json.products.map((p) => p.sku), ['TENT', 'STOVE']);
  // a new order is seen at once
  await basket(['LAMP', 'MAP']);
  const lamp = await srv.req('GET', `/api/v1/products/${prod.LAMP}/also-bought`);
  assert.ok(lamp.json.products.some((p) => p.sku === 'MAP'));
  // errors and roles
  assert.equal((await srv.req('GET', '/api/v1/products/999999/also-bought')).status, 404);
  assert.equal((await srv.req('GET', '/api/v1/customers/999999/recommendations')).status, 404);
  const bad = await srv.req('GET', `/api/v1/customers/${x}/recommendations?limit=0`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.errors?.[0]?.field ?? 'limit', 'limit');
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('GET', `/api/v1/customers/${x}/recommendations`, undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('GET', `/api/v1/products/${prod.TENT}/also-bought`, undefined, { auth: null })).status, 401);
});
