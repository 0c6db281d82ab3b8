// KPIs and cohorts: hand-computed monthly figures on a small base, the
// series and the cohort matrix cross-checked against plain SQL on the same
// database (and on the Online Retail data when present), filters, costs and
// ROI, the CLI, errors and roles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, person, cli, userWithRole, BIN } from './harness.mjs';

const NOW = '2026-06-15';
let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: `${NOW}T12:00:00Z` } }); });
after(async () => { await srv.stop(); });

const sql = (db, q) => {
  const r = spawnSync('sqlite3', ['-json', db, q], { encoding: 'utf8', maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
};
const run = (args) => spawnSync(BIN, args, { encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, RELATIO_LOG: 'warn', RELATIO_NOW: `${NOW}T12:00:00Z` } });

/** Monthly revenue, active and new customers and the cohort matrix in SQL. */
function sqlMonths(db, asOf) {
  const kept = `(kind = 'refund' OR status NOT IN ('cancelled', 'refunded')) AND date(ordered_at, 'unixepoch') <= '${asOf}'`;
  const txn = `kind = 'sale' AND total_minor > 0 AND status NOT IN ('cancelled', 'refunded') AND date(ordered_at, 'unixepoch') <= '${asOf}'`;
  const rev = sql(db, `SELECT strftime('%Y-%m', ordered_at, 'unixepoch') AS month, SUM(total_minor) AS revenue FROM orders WHERE ${kept} GROUP BY 1`);
  const act = sql(db, `SELECT strftime('%Y-%m', ordered_at, 'unixepoch') AS month, COUNT(DISTINCT customer_id) AS active, COUNT(*) AS txns FROM orders WHERE ${txn} GROUP BY 1`);
  const nw = sql(db, `SELECT month, COUNT(*) AS new FROM (SELECT customer_id, strftime('%Y-%m', MIN(ordered_at), 'unixepoch') AS month FROM orders WHERE ${txn} GROUP BY customer_id) GROUP BY month`);
  const coh = sql(db, `WITH f AS (SELECT customer_id, strftime('%Y-%m', MIN(ordered_at), 'unixepoch') AS cohort FROM orders WHERE ${txn} GROUP BY customer_id)
    SELECT f.cohort, strftime('%Y-%m', o.ordered_at, 'unixepoch') AS month, COUNT(DISTINCT o.customer_id) AS n
    FROM orders o JOIN f ON f.customer_id = o.customer_id WHERE o.${txn.replaceAll(' AND ', ' AND o.').replace("o.date(ordered_at", "date(o.ordered_at")} GROUP BY 1, 2`);
  const by = (rows, k) => Object.fromEntries(rows.map((r) => [r.month, r[k]]));
  return { revenue: by(rev, 'revenue'), active: by(act, 'active'), txns: by(act, 'txns'), new: by(nw, 'new'), cohorts: coh };
}
const monthIndex = (m) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;

function crossCheck(doc, cohorts, want) {
  for (const p of doc.series) {
    assert.equal(p.revenue_minor, want.revenue[p.month] ?? 0, `revenue ${p.month}`);
    assert.equal(p.active, want.active[p.month] ?? 0, `active ${p.month}`);
    assert.equal(p.transactions, want.txns[p.month] ?? 0, `transactions ${p.month}`);
    assert.equal(p.new, want.new[p.month] ?? 0, `new ${p.month}`);
    assert.equal(p.at_end, p.at_start + p.new + p.returning - p.lost, `base ${p.month}`);
  }
  const cell = {};
  for (const r of want.cohorts) cell[`${r.cohort}/${monthIndex(r.month) - monthIndex(r.cohort)}`] = r.n;
  for (const c of cohorts.cohorts) {
    assert.equal(c.size, cell[`${c.month}/0`] ?? 0, `cohort ${c.month} size`);
    c.active.forEach((n, k) => assert.equal(n, cell[`${c.month}/${k}`] ?? 0, `cohort ${c.month} +${k}`));
  }
}

const ids = {};
const customer = async (extra = {}) => (await srv.req('POST', '/api/v1/customers', person(extra))).json.id;
const buy = async (id, day, euros, extra = {}) => {
  const r = await srv.req('POST', '/api/v1/orders', { customer_id: id, ordered_at: `${day}T10:00:00Z`, total_minor: Math.round(euros * 100), currency: 'EUR', ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
};

test('monthly KPIs by hand and against SQL', async () => {
  const fr = { addresses: [{ line1: '1 rue de la Paix', postal_code: '75002', city: 'Paris', country: 'FR', primary: true }] };
  ids.a = await customer({ ...fr, category_spend_minor: 100000 });
  ids.b = await customer({ addresses: [{ line1: '1 Grand Place', postal_code: '1000', city: 'Bruxelles', country: 'BE', primary: true }] });
  ids.c = await customer(fr);
  // a: regular buyer since 2025; b: new in April 2026, buys twice; c: one
  // purchase in 2023, lost since (730 days) in 2025
  await buy(ids.a, '2025-11-20', 100, { channel: 'web' });
  await buy(ids.a, '2026-04-02', 200, { channel: 'store' });
  await buy(ids.a, '2026-05-10', 50, { channel: 'web' });
  await buy(ids.a, '2026-05-12', 30, { kind: 'refund', total_minor: -3000 });
  await buy(ids.b, '2026-04-10', 80, { channel: 'web' });
  await buy(ids.b, '2026-04-20', 20, { channel: 'web' });
  await buy(ids.b, '2026-06-01', 999, { status: 'cancelled' });
  await buy(ids.c, '2023-12-01', 10);
  const r = await srv.req('GET', `/api/v1/analytics/kpis?as_of=${NOW}&months=6`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const doc = r.json;
  assert.deepEqual(doc.series.map((p) => p.month), ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06']);
  const m = Object.fromEntries(doc.series.map((p) => [p.month, p]));
  assert.deepEqual([m['2026-04'].revenue_minor, m['2026-04'].active, m['2026-04'].new, m['2026-04'].transactions], [30000, 2, 1, 3]);
  assert.equal(m['2026-04'].average_basket_minor, 10000);
  assert.equal(m['2026-04'].purchase_frequency, 1.5);
  assert.equal(m['2026-04'].repeat_purchase_rate, 1, 'a has bought before, b twice');
  assert.equal(m['2026-05'].revenue_minor, 2000, 'a refund lowers revenue');
  assert.equal(m['2026-05'].average_basket_minor, 5000, 'but not the basket');
  assert.equal(m['2026-06'].revenue_minor, 0, 'a cancelled order does not count');
  // c bought on 2023-12-01: lost on 2025-11-30, before the series
  assert.equal(m['2026-01'].at_start, 1);
  assert.equal(m['2026-04'].at_end, 2);
  assert.equal(m['2026-04'].churn_rate, 0);
  assert.equal(m['2026-05'].active_retention, 0.5, 'a and b in April, only a in May');
  assert.equal(m['2026-02'].purchase_frequency, null, 'no active customer: no rate');
  assert.equal(doc.summary.share_of_wallet.customers, 1);
  assert.equal(doc.summary.share_of_wallet.mean, (10000 + 20000 + 5000 - 3000) / 100000, 'last 12 months / declared spend');
  assert.ok(doc.unavailable.roi, 'no cost yet: ROI unavailable with a reason');

  const cohorts = (await srv.req('GET', `/api/v1/analytics/cohorts?as_of=${NOW}&months=6`)).json;
  assert.equal(cohorts.cohorts.length, 6);
  const apr = cohorts.cohorts.find((c) => c.month === '2026-04');
  assert.deepEqual(apr.active, [1, 0, 0]);
  assert.deepEqual(apr.retention, [1, 0, 0]);
  crossCheck(doc, cohorts, sqlMonths(srv.db, NOW));
});

test('filters, attrition, costs, ROI, addressable customers', async () => {
  const be = (await srv.req('GET', `/api/v1/analytics/kpis?as_of=${NOW}&months=6&country=BE`)).json;
  assert.deepEqual(be.filters, { country: 'BE' });
  assert.equal(be.series.find((p) => p.month === '2026-04').active, 1);
  assert.equal(be.series.find((p) => p.month === '2026-05').revenue_minor, 0);
  const store = (await srv.req('GET', `/api/v1/analytics/kpis?as_of=${NOW}&months=6&channel=store`)).json;
  assert.equal(store.series.find((p) => p.month === '2026-04').active, 1, 'only a ordered in a store');
  const seg = (await srv.req('GET', `/api/v1/analytics/kpis?as_of=${NOW}&segment=champions`));
  assert.equal(seg.status, 200);
  // a contract cancelled now (June) against one new customer in the period
  const k = await srv.req('POST', '/api/v1/contracts', { customer_id: ids.a, offer: 'Premium', start_date: '2025-01-01' });
  assert.equal(k.status, 201, JSON.stringify(k.json));
  assert.equal((await srv.req('POST', `/api/v1/contracts/${k.json.id}/cancel`, { reason: 'price' })).status, 200);
  // a campaign interaction led to a's May order; costs entered for May
  const may = sql(srv.db, `SELECT id FROM orders WHERE customer_id = ${ids.a} AND total_minor = 5000`)[0].id;
  const i = await srv.req('POST', '/api/v1/interactions', { customer_id: ids.a, channel: 'email', direction: 'outbound', campaign_id: 7, order_id: may, at: '2026-05-09T10:00:00Z' });
  assert.equal(i.status, 201, JSON.stringify(i.json));
  for (const body of [{ month: '2026-05', category: 'programme', amount_minor: 1000 }, { month: '2026-04', category: 'acquisition', amount_minor: 4000 }]) {
    const c = await srv.req('POST', '/api/v1/analytics/costs', body);
    assert.equal(c.status, 201, JSON.stringify(c.json));
  }
  const bad = await srv.req('POST', '/api/v1/analytics/costs', { month: '2026-13', category: 'programme', amount_minor: 1 });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors?.[0]?.field ?? 'month', 'month');
  assert.equal((await srv.req('POST', '/api/v1/analytics/costs', { month: '2026-05', category: 'bribes', amount_minor: 1 })).status, 422);
  assert.equal((await srv.req('GET', '/api/v1/analytics/costs')).json.costs.length, 2);
  await srv.req('POST', `/api/v1/customers/${ids.b}/consents`, { channel: 'email', purpose: 'marketing', granted: true });
  await srv.req('POST', `/api/v1/customers/${ids.c}/consents`, { channel: 'sms', purpose: 'marketing', granted: true });
  await srv.req('POST', `/api/v1/customers/${ids.c}/consents`, { channel: 'sms', purpose: 'marketing', granted: false });
  const doc = (await srv.req('GET', `/api/v1/analytics/kpis?as_of=${NOW}&months=6`)).json;
  const m = Object.fromEntries(doc.series.map((p) => [p.month, p]));
  assert.equal(m['2026-06'].cancellations, 1);
  assert.equal(doc.summary.cancellations, 1);
  assert.equal(doc.summary.attrition_rate, 1, 'one cancellation / one new customer in the period');
  assert.equal(m['2026-05'].attributed_margin_minor, 5000);
  assert.equal(m['2026-05'].roi, (5000 - 1000) / 1000);
  assert.equal(m['2026-04'].cac_minor, 4000, 'acquisition cost / new customers');
  assert.equal(doc.summary.addressable_customers, 1, 'b only: c withdrew');
  assert.equal(doc.unavailable.roi, undefined);
});

test('NPS and CSAT from the survey answers of the month', async () => {
  const nps = await srv.req('POST', '/api/v1/surveys', { name: 'Recommend us?', kind: 'nps', question: 'Would you recommend us?' });
  assert.equal(nps.status, 201, JSON.stringify(nps.json));
  const csat = await srv.req('POST', '/api/v1/surveys', { name: 'Happy?', kind: 'csat', question: 'How satisfied are you?' });
  assert.equal(csat.status, 201, JSON.stringify(csat.json));
  for (const [id, score] of [[ids.a, 10], [ids.b, 9], [ids.c, 3]]) {
    const r = await srv.req('POST', `/api/v1/surveys/${nps.json.id}/responses`, { customer_id: id, answers: { score } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  for (const [id, score] of [[ids.a, 5], [ids.b, 2]]) {
    const r = await srv.req('POST', `/api/v1/surveys/${csat.json.id}/responses`, { customer_id: id, answers: { score } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  const doc = (await srv.req('GET', `/api/v1/analytics/kpis?as_of=${NOW}&months=6`)).json;
  const june = doc.series.find((p) => p.month === '2026-06');
  assert.equal(june.responses, 5);
  assert.ok(Math.abs(june.nps - 100 / 3) < 1e-9, `NPS ${june.nps}: 2 promoters, 1 detractor of 3`);
  assert.equal(june.csat, 0.5, 'one of two answers 4 or 5 out of 5');
  assert.equal(doc.series.find((p) => p.month === '2026-05').nps, null);
  assert.ok(doc.summary.loyalty.attitudinal.respondents >= 2, JSON.stringify(doc.summary.loyalty));
  const be = (await srv.req('GET', `/api/v1/analytics/kpis?as_of=${NOW}&months=6&country=BE`)).json;
  assert.equal(be.series.find((p) => p.month === '2026-06').nps, 100, 'b alone, a promoter');
});

test('the CLI, errors and roles', async () => {
  const r = run(['score', 'kpis', '--as-of', NOW, '--months', '6', '--json', '--db', srv.db]);
  assert.equal(r.status, 0, r.stderr);
  const api = (await srv.req('GET', `/api/v1/analytics/kpis?as_of=${NOW}&months=6`)).json;
  assert.deepEqual(JSON.parse(r.stdout).series, api.series);
  const csv = run(['score', 'cohorts', '--as-of', NOW, '--months', '3', '--csv', '--db', srv.db]);
  assert.equal(csv.status, 0, csv.stderr);
  assert.deepEqual(csv.stdout.trim().split('\n').map((l) => l.split(',')[0]), ['month', '2026-04', '2026-05', '2026-06']);
  const human = run(['score', 'kpis', '--as-of', NOW, '--months', '2', '--db', srv.db]);
  assert.match(human.stdout, /2026-06/);
  assert.equal(run(['score', 'kpis', '--months', '0', '--db', srv.db]).status, 1);
  for (const [url, field] of [['kpis?months=500', 'months'], ['kpis?as_of=2026-02-30', 'as_of'], ['kpis?segment=vip', 'segment'], ['geo?level=planet', 'level']]) {
    const e = await srv.req('GET', `/api/v1/analytics/${url}`);
    assert.equal(e.status, 400, url);
    assert.equal(e.json.errors?.[0]?.field ?? field, field, url);
  }
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('GET', '/api/v1/analytics/kpis', undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('POST', '/api/v1/analytics/costs', { month: '2026-05', category: 'programme', amount_minor: 1 }, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('GET', '/api/v1/analytics/kpis', undefined, { auth: null })).status, 401);
  const geo = (await srv.req('GET', `/api/v1/analytics/geo?as_of=${NOW}&level=postal`)).json;
  const paris = geo.areas.find((a) => a.key === 'FR-75');
  assert.equal(paris.customers, 2);
  assert.equal(paris.revenue_minor, 10000 + 20000 + 5000 - 3000 + 1000);
  const spec = (await srv.req('GET', '/api/v1/openapi.json')).json;
  for (const p of ['kpis', 'cohorts', 'geo', 'churn', 'clusters', 'costs']) assert.ok(spec.paths[`/api/v1/analytics/${p}`], p);
});

// ------------------------------------------------- the real data, against SQL

const RETAIL = path.resolve('../shared/data/online-retail/online_retail.csv.gz');
const AS_OF = '2011-12-09';

test('Online Retail: monthly series and cohort matrix agree with plain SQL', { skip: !existsSync(RETAIL) && `no ${RETAIL}` }, async () => {
  const retail = await startServer();
  try {
    const imp = run(['import', 'orders', RETAIL, '--db', retail.db, '--map', 'InvoiceNo=order_id', '--map', 'StockCode=sku',
      '--map', 'Description=description', '--map', 'Quantity=quantity', '--map', 'InvoiceDate=order_date', '--map', 'UnitPrice=unit_price',
      '--map', 'CustomerID=customer_external_id', '--map', 'Country=country', '--currency', 'GBP', '--skip-bad', '--json']);
    assert.equal(imp.status, 0, imp.stderr.slice(-2000));
    const doc = (await retail.req('GET', `/api/v1/analytics/kpis?as_of=${AS_OF}&months=13`)).json;
    const cohorts = (await retail.req('GET', `/api/v1/analytics/cohorts?as_of=${AS_OF}&months=13`)).json;
    assert.equal(doc.series[0].month, '2010-12');
    assert.ok(doc.series.every((p) => p.active > 0));
    crossCheck(doc, cohorts, sqlMonths(retail.db, AS_OF));
    assert.ok(cohorts.cohorts[0].size > 800, `${cohorts.cohorts[0].size} customers in the first cohort`);
  } finally {
    await retail.stop();
  }
});
