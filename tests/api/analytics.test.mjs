// Analytics: the seed's RFM worked example and boundary cases through the
// API, the 360° profile and the CLI; scores that follow new orders without
// a restart; and, on the real Online Retail data, seed RFM, quintile RFM,
// ABC and the loyalty matrix cross-checked against plain SQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, person, cli, userWithRole, BIN } from './harness.mjs';

const D0 = '2026-07-01';
let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: `${D0}T12:00:00Z` } }); });
after(async () => { await srv.stop(); });

const customer = async (last) => (await srv.req('POST', '/api/v1/customers', person({ last_name: last }))).json.id;
const buy = async (id, day, euros, extra = {}) => {
  const r = await srv.req('POST', '/api/v1/orders', { customer_id: id, ordered_at: `${day}T10:00:00Z`, total_minor: Math.round(euros * 100), currency: 'EUR', ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
};
/** Every customer of an analytics route, following the cursor. */
async function all(route, query = '') {
  const out = [];
  let cursor = '';
  for (;;) {
    const r = await srv.req('GET', `/api/v1/analytics/${route}?limit=3${query}${cursor}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    out.push(...r.json.customers);
    if (!r.json.next_cursor) return { doc: r.json, customers: out };
    cursor = `&cursor=${r.json.next_cursor}`;
  }
}
/** Runs the CLI with room for big outputs. */
function run(args) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, RELATIO_LOG: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const close = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-9, `${msg}: ${a} vs ${b}`);

const ids = {};
test('the seed\'s worked example and boundary cases, as of 2026-07-01', async () => {
  ids.maroy = await customer('Maroy');
  await buy(ids.maroy, '2025-08-01', 600);
  ids.dupont = await customer('Dupont');
  await buy(ids.dupont, '2025-01-01', 50);
  await buy(ids.dupont, '2026-02-01', 60);
  await buy(ids.dupont, '2026-05-01', 40);
  // boundaries: m = 3 (5 points), m = 2 (20), m = 24 (outside), m = 23 (1)
  for (const [k, day] of [['m3', '2026-04-01'], ['m2', '2026-04-02'], ['m24', '2024-07-01'], ['m23', '2024-07-02']]) {
    ids[k] = await customer(k);
    await buy(ids[k], day, 100);
  }
  // later than the as-of date: ignored; cancelled: ignored; a refund lowers M
  ids.later = await customer('Later');
  await buy(ids.later, '2026-06-01', 100);
  await buy(ids.later, '2026-08-01', 100);
  ids.refund = await customer('Refund');
  await buy(ids.refund, '2026-06-01', 150);
  await buy(ids.refund, '2026-06-02', 500, { status: 'cancelled' });
  await buy(ids.refund, '2026-06-10', 50, { kind: 'refund' });
  ids.none = await customer('Prospect');

  const { doc, customers } = await all('rfm', `&as_of=${D0}`);
  assert.equal(doc.as_of, D0);
  assert.equal(doc.model.grid.window_months, 24);
  assert.deepEqual(doc.model.grid.bands, [[3, 20], [6, 5], [12, 3], [24, 1]]);
  const by = Object.fromEntries(customers.map((c) => [c.id, c]));
  assert.equal(customers.length, 8, 'the prospect without orders is not listed');
  assert.deepEqual([by[ids.maroy].r, by[ids.maroy].f, by[ids.maroy].m, by[ids.maroy].score], [3, 4, 20, 67]);
  assert.deepEqual([by[ids.dupont].r, by[ids.dupont].f, by[ids.dupont].m, by[ids.dupont].score], [26, 12, 15, 196]);
  assert.equal(by[ids.dupont].net_minor, 15000);
  assert.equal(by[ids.m3].r, 5);
  assert.equal(by[ids.m2].r, 20);
  assert.deepEqual([by[ids.m24].r, by[ids.m24].f, by[ids.m24].m, by[ids.m24].score], [0, 0, 0, 0]);
  assert.equal(by[ids.m23].r, 1);
  assert.equal(by[ids.m23].score, 5 + 12 + 20);
  assert.deepEqual([by[ids.later].r, by[ids.later].f, by[ids.later].transactions], [20, 4, 1]);
  assert.deepEqual([by[ids.refund].r, by[ids.refund].f, by[ids.refund].m, by[ids.refund].net_minor], [20, 4, 10, 10000]);
  // the end-of-month clamp: 2026-01-31 is one month before 2026-02-28
  ids.eom = await customer('Eom');
  await buy(ids.eom, '2026-01-31', 10);
  const feb = await srv.req('GET', `/api/v1/analytics/rfm?as_of=2026-02-28&limit=500`);
  const eom = feb.json.customers.find((c) => c.id === ids.eom);
  assert.equal(eom.r, 20);
  assert.ok(!feb.json.customers.find((c) => c.id === ids.m3), 'orders after the as-of date do not count');
  // quintiles: recency, frequency and monetary ranks with named segments
  const q = by[ids.dupont].quintile;
  assert.equal(q.frequency, 3);
  assert.equal(q.f, 5);
  assert.equal(q.recency_days, 61);
  assert.ok(doc.model.segments.map((s) => s.name).includes(q.segment));
  assert.equal(doc.summary.customers, 8);
});

test('the 360° profile carries the scores', async () => {
  const p = (await srv.req('GET', `/api/v1/customers/${ids.maroy}`)).json;
  assert.equal(p.scores.as_of, D0);
  assert.equal(p.scores.rfm.score, 67);
  assert.ok(['A', 'B', 'C'].includes(p.scores.abc.class));
  assert.ok(p.scores.quintile.segment);
  const d = (await srv.req('GET', `/api/v1/customers/${ids.dupont}`)).json;
  assert.equal(d.scores.rfm.score, 196);
  const none = (await srv.req('GET', `/api/v1/customers/${ids.none}`)).json;
  assert.equal(none.scores.rfm.score, 0);
  assert.equal(none.scores.abc, null);
});

test('the CLI gives the same figures in DESIGN.md\'s document', () => {
  const r = run(['score', 'rfm', '--as-of', D0, '--json', '--db', srv.db]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(doc), ['as_of', 'model', 'customers']);
  assert.equal(doc.as_of, D0);
  const by = Object.fromEntries(doc.customers.map((c) => [c.id, c]));
  assert.equal(by[ids.maroy].score, 67);
  assert.equal(by[ids.dupont].score, 196);
  for (const c of doc.customers) assert.ok('external_id' in c);
  const csv = run(['score', 'rfm', '--as-of', D0, '--csv', '--db', srv.db]);
  assert.equal(csv.status, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.match(lines[0], /^id,external_id,score,r,f,m,transactions,net_minor,quintile\.recency_days,/);
  assert.equal(lines.length, doc.customers.length + 1);
  assert.ok(lines.some((l) => l.startsWith(`${ids.dupont},,196,`)), lines.join('\n'));
  const abc = JSON.parse(run(['score', 'abc', '--as-of', D0, '--json', '--db', srv.db]).stdout);
  assert.deepEqual(Object.keys(abc), ['as_of', 'model', 'customers']);
  assert.equal(abc.customers.find((c) => c.id === ids.maroy).class, 'A', 'the biggest spender is A');
  const human = run(['score', 'abc', '--as-of', D0, '--db', srv.db]);
  assert.equal(human.status, 0);
  assert.match(human.stdout, /customers ranked: 9/);
  const mx = JSON.parse(run(['score', 'matrix', '--as-of', D0, '--json', '--db', srv.db]).stdout);
  assert.deepEqual(Object.keys(mx), ['as_of', 'model', 'customers']);
  assert.equal(mx.model.profit, 'net_revenue', 'the orders carry no margin');
  const dq = mx.customers.find((c) => c.id === ids.dupont);
  assert.equal(dq.duration_days, 485, 'from 2025-01-01 to 2026-05-01');
  assert.ok(['strangers', 'butterflies', 'barnacles', 'true_friends'].includes(dq.quadrant));
  assert.equal(run(['score', 'bogus', '--db', srv.db]).status, 1);
  assert.equal(run(['score', 'rfm', '--as-of', '2026-13-01', '--db', srv.db]).status, 1);
  assert.equal(run(['score', 'rfm', '--json', '--csv', '--db', srv.db]).status, 1);
  assert.match(cli(['help']).stdout, /\bscore\b/);
});

test('an order through the API changes the scores without a restart', async () => {
  const o = await buy(ids.maroy, '2026-06-15', 100);
  let p = (await srv.req('GET', `/api/v1/customers/${ids.maroy}`)).json;
  assert.deepEqual([p.scores.rfm.r, p.scores.rfm.f, p.scores.rfm.m, p.scores.rfm.score], [23, 8, 20, 115 + 24 + 40]);
  const list = await srv.req('GET', `/api/v1/analytics/rfm?as_of=${D0}&limit=500`);
  assert.equal(list.json.customers.find((c) => c.id === ids.maroy).score, 179);
  assert.equal((await srv.req('PATCH', `/api/v1/orders/${o.id}`, { status: 'cancelled' })).status, 200);
  p = (await srv.req('GET', `/api/v1/customers/${ids.maroy}`)).json;
  assert.equal(p.scores.rfm.score, 67);
  // a new buyer appears at once, as a guest created by the order
  const g = await srv.req('POST', '/api/v1/orders', { customer_external_id: 'WEB-42', total_minor: 25000, ordered_at: '2026-06-20T10:00:00Z' });
  const rfm = await srv.req('GET', `/api/v1/analytics/rfm?as_of=${D0}&limit=500`);
  const guest = rfm.json.customers.find((c) => c.id === g.json.customer_id);
  assert.equal(guest.external_id, 'WEB-42');
  assert.equal(guest.score, 100 + 12 + 40);
});

test('pages, summaries, filters, errors and roles', async () => {
  const s = await srv.req('GET', `/api/v1/analytics/abc?as_of=${D0}&summary=only`);
  assert.equal(s.status, 200);
  assert.equal(s.json.customers, undefined);
  const cls = s.json.summary.classes;
  assert.equal(cls.A.customers + cls.B.customers + cls.C.customers, s.json.summary.customers);
  assert.equal(s.json.summary.curve.length, 21);
  const { customers } = await all('abc', `&as_of=${D0}`);
  assert.equal(customers.length, s.json.summary.customers);
  assert.deepEqual(customers.map((c) => c.id), [...customers.map((c) => c.id)].sort((a, b) => a - b));
  const onlyC = await srv.req('GET', `/api/v1/analytics/abc?as_of=${D0}&class=C&limit=500`);
  assert.ok(onlyC.json.customers.every((c) => c.class === 'C'));
  assert.equal(onlyC.json.customers.length, cls.C.customers);
  const seg = (await srv.req('GET', `/api/v1/analytics/rfm?as_of=${D0}&summary=only`)).json.summary.segments.find((x) => x.customers > 0);
  const inSeg = await srv.req('GET', `/api/v1/analytics/rfm?as_of=${D0}&segment=${seg.name}&limit=500`);
  assert.equal(inSeg.json.customers.length, seg.customers);
  for (const [url, field] of [['rfm?as_of=2026-02-30', 'as_of'], ['rfm?limit=501', 'limit'], ['rfm?segment=vip', 'segment'], ['abc?class=D', 'class'], ['clv?summary=yes', 'summary']]) {
    const r = await srv.req('GET', `/api/v1/analytics/${url}`);
    assert.equal(r.status, 400, url);
    assert.equal(r.json.errors?.[0]?.field ?? field, field);
  }
  const mx = await srv.req('GET', `/api/v1/analytics/matrix?as_of=${D0}&limit=500`);
  assert.equal(mx.status, 200);
  const quads = mx.json.summary.quadrants;
  assert.equal(Object.values(quads).reduce((n, q) => n + q.customers, 0), mx.json.customers.length);
  assert.equal((await srv.req('GET', '/api/v1/analytics/matrix?quadrant=friends')).status, 400);
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('GET', '/api/v1/analytics/rfm', undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/analytics/rfm', undefined, { auth: null })).status, 401);
  const spec = (await srv.req('GET', '/api/v1/openapi.json')).json;
  assert.ok(spec.paths['/api/v1/analytics/clv'].get);
});

// ------------------------------------------------- the real data, against SQL

const RETAIL = path.resolve('../shared/data/online-retail/online_retail.csv.gz');
const AS_OF = '2011-12-09';

/** The seed grid, quintiles and ABC written independently in SQL. */
const SQL = `
WITH o AS (
  SELECT customer_id AS c, date(ordered_at, 'unixepoch') AS d, total_minor AS amt,
         (kind = 'sale' AND total_minor > 0) AS txn
  FROM orders
  WHERE (kind = 'refund' OR status NOT IN ('cancelled', 'refunded'))
    AND date(ordered_at, 'unixepoch') <= '${AS_OF}'
), a AS (
  SELECT *, (CAST(strftime('%Y', '${AS_OF}') AS INTEGER) - CAST(strftime('%Y', d) AS INTEGER)) * 12
          + CAST(strftime('%m', '${AS_OF}') AS INTEGER) - CAST(strftime('%m', d) AS INTEGER)
          - (CAST(strftime('%d', d) AS INTEGER) > CAST(strftime('%d', '${AS_OF}') AS INTEGER)
             AND '${AS_OF}' < date('${AS_OF}', 'start of month', '+1 month', '-1 day')) AS age
  FROM o
), g AS (
  SELECT c,
    SUM(CASE WHEN txn AND age < 24 THEN CASE WHEN age < 3 THEN 20 WHEN age < 6 THEN 5
        WHEN age < 12 THEN 3 ELSE 1 END ELSE 0 END) AS r,
    MIN(20, 4 * SUM(txn AND age < 24)) AS f,
    MIN(20.0, 0.10 * SUM(CASE WHEN age < 24 THEN amt ELSE 0 END) / 100.0) AS m,
    SUM(txn) AS n, MAX(CASE WHEN txn THEN d END) AS last, SUM(amt) AS net
  FROM a GROUP BY c HAVING SUM(txn) > 0
), q AS (
  SELECT *, COUNT(*) OVER () AS total,
    1 + (5 * (RANK() OVER (ORDER BY last) - 1)) / COUNT(*) OVER () AS qr,
    1 + (5 * (RANK() OVER (ORDER BY n) - 1)) / COUNT(*) OVER () AS qf,
    1 + (5 * (RANK() OVER (ORDER BY net) - 1)) / COUNT(*) OVER () AS qm,
    ROW_NUMBER() OVER (ORDER BY net DESC, c) AS rk
  FROM g
)
SELECT c AS id, 5 * r + 3 * f + 2 * m AS score, r, f, m, qr, qf, qm,
  CASE
    WHEN qr >= 4 AND (qf + qm) / 2 >= 4 THEN 'champions'
    WHEN qr >= 3 AND (qf + qm) / 2 >= 3 THEN 'loyal'
    WHEN qr >= 4 AND (qf + qm) / 2 BETWEEN 2 AND 3 THEN 'potential_loyalists'
    WHEN qr = 5 AND (qf + qm) / 2 = 1 THEN 'new'
    WHEN qr = 4 AND (qf + qm) / 2 = 1 THEN 'promising'
    WHEN qr = 3 AND (qf + qm) / 2 BETWEEN 2 AND 3 THEN 'need_attention'
    WHEN qr = 3 AND (qf + qm) / 2 <= 2 THEN 'about_to_sleep'
    WHEN qr <= 2 AND (qf + qm) / 2 >= 3 THEN 'at_risk'
    WHEN qr = 1 AND (qf + qm) / 2 >= 4 THEN 'cant_lose_them'
    WHEN qr = 2 AND (qf + qm) / 2 <= 2 THEN 'hibernating'
    WHEN qr = 1 AND (qf + qm) / 2 <= 2 THEN 'lost'
  END AS segment,
  rk, net,
  CASE WHEN net <= 0 THEN 'C'
       WHEN rk <= (total * 50000 + 999999) / 1000000 THEN 'A'
       WHEN rk <= (total * 200000 + 999999) / 1000000 THEN 'B'
       ELSE 'C' END AS class
FROM q ORDER BY c`;

test('Online Retail: seed RFM, quintile RFM, ABC and the matrix agree with plain SQL', { skip: !existsSync(RETAIL) && `no ${RETAIL}` }, async () => {
  const retail = await startServer();
  try {
    // a first read builds the (empty) snapshot; the import by another
    // process must then be caught up with, not missed
    assert.equal((await retail.req('GET', '/api/v1/analytics/rfm?summary=only')).status, 200);
    let t = Date.now();
    const imp = run(['import', 'orders', RETAIL, '--db', retail.db, '--map', 'InvoiceNo=order_id', '--map', 'StockCode=sku',
      '--map', 'Description=description', '--map', 'Quantity=quantity', '--map', 'InvoiceDate=order_date', '--map', 'UnitPrice=unit_price',
      '--map', 'CustomerID=customer_external_id', '--map', 'Country=country', '--currency', 'GBP', '--skip-bad', '--json']);
    assert.equal(imp.status, 0, imp.stderr.slice(-2000));
    const importMs = Date.now() - t;

    const sql = spawnSync('sqlite3', ['-json', retail.db, SQL], { encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(sql.status, 0, sql.stderr);
    const want = JSON.parse(sql.stdout);
    assert.ok(want.length > 4000, `${want.length} customers`);

    t = Date.now();
    const r = run(['score', 'rfm', '--as-of', AS_OF, '--json', '--db', retail.db]);
    const rfmMs = Date.now() - t;
    assert.equal(r.status, 0, r.stderr);
    const rfm = JSON.parse(r.stdout);
    assert.equal(rfm.customers.length, want.length);
    const a = JSON.parse(run(['score', 'abc', '--as-of', AS_OF, '--json', '--db', retail.db]).stdout);
    assert.equal(a.customers.length, want.length);
    let seg = 0;
    want.forEach((w, i) => {
      const c = rfm.customers[i], k = a.customers[i];
      assert.equal(c.id, w.id);
      close(c.score, w.score, `score of ${w.id}`);
      close(c.r, w.r, `R of ${w.id}`);
      close(c.f, w.f, `F of ${w.id}`);
      close(c.m, w.m, `M of ${w.id}`);
      assert.deepEqual([c.quintile.r, c.quintile.f, c.quintile.m], [w.qr, w.qf, w.qm], `quintiles of ${w.id}`);
      assert.equal(c.quintile.segment, w.segment, `segment of ${w.id}`);
      assert.equal(c.quintile.monetary_minor, w.net);
      assert.deepEqual([k.id, k.class, k.rank, k.revenue_minor], [w.id, w.class, w.rk, w.net], `abc of ${w.id}`);
      seg += c.quintile.segment !== null;
    });
    assert.equal(seg, want.length, 'every scored customer falls in a segment');

    // the API, on the server that was running during the import
    const api = await retail.req('GET', `/api/v1/analytics/abc?as_of=${AS_OF}&summary=only`);
    assert.equal(api.json.summary.customers, want.length);
    for (const cls of ['A', 'B', 'C']) assert.equal(api.json.summary.classes[cls].customers, want.filter((w) => w.class === cls).length);
    const apiRfm = await retail.req('GET', `/api/v1/analytics/rfm?as_of=${AS_OF}&summary=only`);
    for (const s of apiRfm.json.summary.segments) assert.equal(s.customers, want.filter((w) => w.segment === s.name).length, s.name);
    const page = await retail.req('GET', `/api/v1/analytics/rfm?as_of=${AS_OF}&limit=500`);
    assert.equal(page.json.customers.length, 500, 'a page, not the whole base');
    assert.ok(page.json.next_cursor);

    // the loyalty x profitability matrix: medians of the first-to-last
    // transaction span and of net revenue, strictly above is long / high
    const spans = JSON.parse(spawnSync('sqlite3', ['-json', retail.db, `
      SELECT customer_id AS id,
        CAST(julianday(MAX(date(ordered_at, 'unixepoch'))) - julianday(MIN(date(ordered_at, 'unixepoch'))) AS INTEGER) AS span
      FROM orders WHERE kind = 'sale' AND total_minor > 0 AND status NOT IN ('cancelled', 'refunded')
        AND date(ordered_at, 'unixepoch') <= '${AS_OF}'
      GROUP BY customer_id ORDER BY customer_id`], { encoding: 'utf8', maxBuffer: 256 << 20 }).stdout);
    const median = (xs) => { const v = [...xs].sort((x, y) => x - y), h = v.length >> 1; return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2; };
    const dT = median(spans.map((x) => x.span)), pT = median(want.map((w) => w.net));
    const mx = JSON.parse(run(['score', 'matrix', '--as-of', AS_OF, '--json', '--db', retail.db]).stdout);
    assert.equal(mx.model.duration_threshold, dT);
    assert.equal(mx.model.profit_threshold, pT);
    const names = ['strangers', 'butterflies', 'barnacles', 'true_friends'];
    mx.customers.forEach((c, i) => {
      assert.equal(c.id, spans[i].id);
      assert.equal(c.duration_days, spans[i].span);
      assert.equal(c.quadrant, names[(spans[i].span > dT ? 2 : 0) + (want[i].net > pT ? 1 : 0)], `quadrant of ${c.id}`);
    });

    // CLV: fitted on the same data, per customer P(alive) and values
    t = Date.now();
    const clv = run(['score', 'clv', '--as-of', AS_OF, '--json', '--db', retail.db]);
    const clvMs = Date.now() - t;
    assert.equal(clv.status, 0, clv.stderr);
    const cd = JSON.parse(clv.stdout);
    assert.equal(cd.model.time_unit, 'weeks');
    for (const k of ['r', 'alpha', 'a', 'b', 'p', 'q', 'v']) assert.ok(cd.model[k] > 0, `${k} = ${cd.model[k]}`);
    assert.ok(cd.model.ll < 0);
    assert.equal(cd.customers.length, want.length);
    for (const c of cd.customers) {
      assert.ok(c.p_alive >= 0 && c.p_alive <= 1, JSON.stringify(c));
      assert.ok(c.expected_purchases >= 0 && c.clv >= 0, JSON.stringify(c));
    }
    const apiClv = await retail.req('GET', `/api/v1/analytics/clv?as_of=${AS_OF}&limit=1`);
    assert.equal(apiClv.status, 200, JSON.stringify(apiClv.json));
    close(apiClv.json.model.r, cd.model.r, 'the same fit through the API');
    const prof = await retail.req('GET', `/api/v1/customers/${cd.customers[0].id}`);
    assert.ok(prof.json.scores.rfm);
    console.log(`# online retail: ${want.length} customers; import ${importMs} ms, score rfm ${rfmMs} ms, clv ${clvMs} ms (CLI, snapshot build included); ` +
      `BG/NBD r=${cd.model.r.toFixed(4)} alpha=${cd.model.alpha.toFixed(4)} a=${cd.model.a.toFixed(4)} b=${cd.model.b.toFixed(4)} ll=${cd.model.ll.toFixed(2)}, ` +
      `GG p=${cd.model.p.toFixed(4)} q=${cd.model.q.toFixed(4)} v=${cd.model.v.toFixed(4)}`);
  } finally {
    await retail.stop();
  }
});
