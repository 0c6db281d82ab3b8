// Segments: draft counts cross-checked against the same condition in plain
// SQL (sqlite3 on the test database), scores against the analytics routes,
// saved segments and static lists, members by keyset, membership refresh
// with segment.entered / segment.left events, targeting groups, roles,
// errors naming the byte position, and the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, person, cli, userWithRole } from './harness.mjs';

const NOW = '2026-07-01T12:00:00Z';
let srv;
// no background refresh: the tests say when memberships are refreshed
before(async () => { srv = await startServer({ env: { RELATIO_NOW: NOW, RELATIO_SEGMENT_REFRESH: '0' } }); });
after(async () => { await srv.stop(); });

/** One number from the test database, in plain SQL. */
function sql(query) {
  const r = spawnSync('sqlite3', ['-readonly', srv.db, query], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}
const count = async (expr, auth) => srv.req('POST', '/api/v1/segments/count', { expr }, auth ? { auth } : {});
const ok = (r, status = 200) => assert.equal(r.status, status, JSON.stringify(r.json));

// A small deterministic population with every kind of field.
const cities = [['FR', '75002', 'Paris'], ['FR', '69001', 'Lyon'], ['FR', '93200', 'Saint-Denis'], ['BE', '1000', 'Bruxelles'], ['GB', 'SW1A 1AA', 'London']];
const tagsOf = [['vip'], [], ['expert', 'vip'], ['influencer'], [], ['unhappy']];
const ids = [];
test('a population of customers with orders, consents, flags and contracts', async () => {
  let seed = 7;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let i = 0; i < 36; i++) {
    const [country, postal_code, city] = cities[i % cities.length];
    const body = i % 9 === 4
      ? { kind: 'organization', name: `Société ${i}`, tags: tagsOf[i % tagsOf.length] }
      : person({
        last_name: `Client${i}`,
        sex: ['female', 'male', undefined][i % 3],
        income_band: ['low', 'middle', 'high', 'upper_middle', undefined][i % 5],
        birth_date: i % 4 === 3 ? undefined : `${1950 + (i * 7) % 50}-0${1 + (i % 9)}-1${i % 10}`,
        tags: tagsOf[i % tagsOf.length],
        interests: i % 4 === 0 ? ['vin', 'parfum'] : [],
      });
    if (i % 7 !== 6) body.addresses = [{ line1: `${i} rue`, postal_code, city, country }];
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    const r = await srv.req('POST', '/api/v1/customers', body);
    ok(r, 201);
    ids.push(r.json.id);
    const orders = rnd(5);
    for (let k = 0; k < orders; k++) {
      const day = new Date(Date.UTC(2026, 6, 1) - (1 + rnd(900)) * 86400000).toISOString().slice(0, 10);
      ok(await srv.req('POST', '/api/v1/orders', { customer_id: r.json.id, ordered_at: `${day}T10:00:00Z`, total_minor: 1000 + rnd(40000), currency: 'EUR' }), 201);
    }
    if (i % 3 === 0) ok(await srv.req('POST', `/api/v1/customers/${r.json.id}/consents`, { channel: 'email', purpose: 'marketing', granted: true, legal_basis: 'consent', source: 'web' }), 201);
    if (i % 6 === 0) ok(await srv.req('POST', `/api/v1/customers/${r.json.id}/consents`, { channel: 'email', purpose: 'marketing', granted: false, legal_basis: 'consent', source: 'web' }), 201);
    if (i % 5 === 1) ok(await srv.req('POST', `/api/v1/customers/${r.json.id}/consents`, { channel: 'sms', purpose: 'marketing', granted: true, legal_basis: 'consent', source: 'store' }), 201);
    if (i % 8 === 2) assert.ok([200, 201, 204].includes((await srv.req('POST', `/api/v1/customers/${r.json.id}/flags`, { flag: 'at_risk', reason: 'bad survey' })).status));
    if (i % 10 === 5) {
      const k = await srv.req('POST', '/api/v1/contracts', { customer_id: r.json.id, offer: 'box', start_date: '2025-01-01' });
      ok(k, 201);
      ok(await srv.req('POST', `/api/v1/contracts/${k.json.id}/cancel`, { reason: 'price' }));
    }
  }
  assert.equal(ids.length, 36);
});

const LIVE = 'merged_into IS NULL AND erased_at IS NULL';
const lastConsent = (ch) => `(SELECT granted FROM consents k WHERE k.customer_id = c.id AND k.channel = '${ch}' ORDER BY k.at DESC, k.id DESC LIMIT 1)`;
const primary = 'LEFT JOIN customer_addresses a ON a.customer_id = c.id AND a.is_primary = 1';
const T = "strftime('%s', '2026-07-01T12:00:00Z')";
const cases = [
  ['kind = person AND revenue > 100', `SELECT count(*) FROM customers c WHERE ${LIVE} AND kind = 'person' AND revenue_minor > 10000`],
  ['kind in [organization, guest] OR orders_count = 0', `SELECT count(*) FROM customers c WHERE ${LIVE} AND (kind IN ('organization','guest') OR orders_count = 0)`],
  ['last_purchase < today - 90d', `SELECT count(*) FROM customers c WHERE ${LIVE} AND last_order_at IS NOT NULL AND date(last_order_at, 'unixepoch') < date('2026-07-01', '-90 days')`],
  ['last_purchase >= today - 6m AND revenue >= 50.5', `SELECT count(*) FROM customers c WHERE ${LIVE} AND date(last_order_at, 'unixepoch') >= '2026-01-01' AND revenue_minor >= 5050`],
  ['first_purchase < 2025-01-01 AND orders_count >= 2', `SELECT count(*) FROM customers c WHERE ${LIVE} AND date(first_order_at, 'unixepoch') < '2025-01-01' AND orders_count >= 2`],
  ["country = FR AND city contains 'par'", `SELECT count(*) FROM customers c ${primary} WHERE ${LIVE} AND a.country = 'FR' AND lower(a.city) LIKE '%par%'`],
  ["postal_code in ['75002', '1000'] OR country is null", `SELECT count(*) FROM customers c ${primary} WHERE ${LIVE} AND (a.postal_code IN ('75002','1000') OR a.country IS NULL)`],
  ['tags contains vip OR interests contains vin', `SELECT count(*) FROM customers c WHERE ${LIVE} AND (EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id AND t.tag = 'vip') OR EXISTS (SELECT 1 FROM customer_interests n WHERE n.customer_id = c.id AND n.interest = 'vin'))`],
  ['tags is null', `SELECT count(*) FROM customers c WHERE ${LIVE} AND NOT EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id)`],
  ['consent.email = granted', `SELECT count(*) FROM customers c WHERE ${LIVE} AND ${lastConsent('email')} = 1`],
  ['consent.email = denied OR consent.sms is not null', `SELECT count(*) FROM customers c WHERE ${LIVE} AND (${lastConsent('email')} = 0 OR ${lastConsent('sms')} IS NOT NULL)`],
  ['at_risk AND NOT kind = organization', `SELECT count(*) FROM customers c WHERE ${LIVE} AND EXISTS (SELECT 1 FROM customer_flags f WHERE f.customer_id = c.id AND f.flag = 'at_risk') AND kind <> 'organization'`],
  ['NOT (sex = female) AND income_band in [high, upper_middle]', `SELECT count(*) FROM customers c WHERE ${LIVE} AND COALESCE(sex, '') <> 'female' AND income_band IN ('high','upper_middle')`],
  ['birth_date < 1975-06-15 OR birth_date is null', `SELECT count(*) FROM customers c WHERE ${LIVE} AND (birth_date < '1975-06-15' OR birth_date IS NULL)`],
  ['lifecycle = inactive', `SELECT count(*) FROM customers c WHERE ${LIVE} AND orders_count > 0 AND last_order_at < ${T} - 365 * 86400 AND last_order_at >= ${T} - 730 * 86400 AND NOT (EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id AND k.status <> 'cancelled'))`],
  ['lifecycle = former', `SELECT count(*) FROM customers c WHERE ${LIVE} AND ((EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id AND k.status <> 'cancelled')) OR (orders_count > 0 AND last_order_at < ${T} - 730 * 86400))`],
  ['lifecycle = prospect', `SELECT count(*) FROM customers c WHERE ${LIVE} AND orders_count = 0 AND NOT (EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id AND k.status <> 'cancelled'))`],
  ['created_at = today AND owner_id is null', `SELECT count(*) FROM customers c WHERE ${LIVE} AND date(created_at, 'unixepoch') = '2026-07-01' AND owner_id IS NULL`],
];

test('draft counts equal the same condition in plain SQL', async () => {
  let nonTrivial = 0;
  for (const [expr, query] of cases) {
    const r = await count(expr);
    ok(r);
    const want = sql(query);
    assert.equal(r.json.count, want, `${expr}: ${r.json.count} vs SQL ${want}`);
    if (want > 0 && want < 36) nonTrivial++;
  }
  assert.ok(nonTrivial >= 12, `only ${nonTrivial} cases split the population`);
});

test('counts follow every kind of change without a restart', async () => {
  const check = async (step) => {
    for (const [expr, query] of cases) {
      const r = await count(expr);
      ok(r);
      assert.equal(r.json.count, sql(query), `after ${step}: ${expr}`);
    }
  };
  await check('nothing');
  ok(await srv.req('PATCH', `/api/v1/customers/${ids[3]}`, { income_band: 'high', sex: 'male', birth_date: '1960-01-01' }));
  await check('a profile change');
  ok(await srv.req('POST', '/api/v1/orders', { customer_id: ids[4], ordered_at: '2026-06-30T10:00:00Z', total_minor: 99900, currency: 'EUR' }), 201);
  await check('a new order');
  ok(await srv.req('POST', `/api/v1/customers/${ids[0]}/consents`, { channel: 'email', purpose: 'marketing', granted: false, legal_basis: 'consent', source: 'web' }), 201);
  await check('a consent withdrawn');
  const fresh = await srv.req('POST', '/api/v1/customers', person({ last_name: 'Nouveau', addresses: [{ line1: '1 rue', postal_code: '75002', city: 'Paris', country: 'FR' }] }));
  ok(fresh, 201);
  ids.push(fresh.json.id);
  await check('a new customer');
  ok(await srv.req('POST', '/api/v1/customers', person({ last_name: 'Tagué', tags: ['vip'] })), 201);
  await check('a new customer with a tag');
  ok(await srv.req('PATCH', `/api/v1/customers/${ids[1]}`, { tags: ['vip', 'expert'] }));
  await check('tags changed');
  const order = (await srv.req('GET', `/api/v1/customers/${ids[4]}/orders`)).json;
  const last = (order.items ?? order)[0];
  ok(await srv.req('PATCH', `/api/v1/orders/${last.id}`, { status: 'cancelled' }));
  await check('an order cancelled');
  assert.ok([200, 201, 204].includes((await srv.req('POST', `/api/v1/customers/${ids[1]}/flags`, { flag: 'at_risk', reason: 'complaint' })).status));
  await check('a flag set');
});

test('score fields match the analytics routes', async () => {
  const total = async (route, q) => {
    const r = await srv.req('GET', `/api/v1/analytics/${route}?summary=only&${q}`);
    ok(r);
    return r.json;
  };
  const rfm = await total('rfm', '');
  for (const s of rfm.summary.segments.filter((x) => x.customers > 0).slice(0, 3)) {
    const r = await count(`rfm_segment = ${s.name}`);
    ok(r);
    assert.equal(r.json.count, s.customers, s.name);
  }
  const abc = await total('abc', '');
  const a = await count('abc_class = A');
  ok(a);
  assert.equal(a.json.count, abc.summary.classes.A.customers);
  const withTxn = await count('rfm_score > 0 OR rfm_score = 0');
  assert.equal(withTxn.json.count, sql(`SELECT count(*) FROM customers c WHERE ${LIVE} AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND date(o.ordered_at, 'unixepoch') <= '2026-07-01')`));
  const m = await total('matrix', '');
  const tf = m.summary.quadrants.true_friends;
  const q = await count('quadrant = true_friends');
  ok(q);
  assert.equal(q.json.count, tf.customers);
  ok(await count('clv > 0 OR p_alive is null OR expected_purchases >= 0'));
});

test('malformed or mistyped expressions are refused with the byte position', async () => {
  const bad = [
    ['revnue > 5', 0, /unknown field 'revnue'/],
    ['kind = persn', 7, /no value 'persn'/],
    ['revenue > \'a lot\'', 10, /number/],
    ['last_purchase < 2026-02-30', 16, /impossible date/],
    ['(kind = person', 14, /expected '\)'/],
    ['tags = vip', 5, /list/],
    ['', 0, /empty/],
    ['kind = person AND', 17, /field name/],
    ['last_purchase < today - 3q', 24, /unexpected/],
  ];
  for (const [expr, pos, re] of bad) {
    const r = await count(expr);
    assert.equal(r.status, 422, expr);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.equal(r.json.errors[0].field, 'expr');
    assert.match(r.json.detail, new RegExp(`^at byte ${pos}: `), expr);
    assert.match(r.json.detail, re, expr);
  }
  // the body itself
  assert.equal((await srv.req('POST', '/api/v1/segments/count', {})).status, 422);
  const unknown = await srv.req('POST', '/api/v1/segments/count', { expr: 'at_risk', extra: 1 });
  assert.equal(unknown.status, 422);
  assert.equal(unknown.json.errors[0].field, 'extra');
  assert.equal((await srv.req('POST', '/api/v1/segments/count', { expr: 5 })).status, 422);
  assert.equal((await srv.req('POST', '/api/v1/segments/count', null, { raw: '{"expr":', headers: { 'content-type': 'application/json' } })).status, 400);
});

let seg;
test('a saved dynamic segment: members by keyset, equal to the count', async () => {
  const before = sql('SELECT count(*) FROM segments');
  const bad = await srv.req('POST', '/api/v1/segments', { name: 'Bad', expr: 'revenue >' });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'expr');
  assert.equal((await srv.req('POST', '/api/v1/segments', { name: 'No expr' })).status, 422);
  assert.equal(sql('SELECT count(*) FROM segments'), before, 'bad input changed nothing');

  const expr = 'orders_count >= 1 AND last_purchase >= today - 1y';
  const r = await srv.req('POST', '/api/v1/segments', { name: 'Recent buyers', description: 'bought within a year', expr });
  ok(r, 201);
  seg = r.json;
  assert.equal(r.headers.get('location'), `/api/v1/segments/${seg.id}`);
  const want = (await count(expr)).json.count;
  assert.ok(want > 3);
  assert.equal(seg.member_count, want);
  assert.equal(sql(`SELECT count(*) FROM segment_members WHERE segment_id = ${seg.id}`), want);
  assert.equal((await srv.req('POST', '/api/v1/segments', { name: 'Recent buyers', expr })).status, 409);

  const seen = [];
  let cursor = 0;
  for (let page = 0; page < 50; page++) {
    const m = await srv.req('GET', `/api/v1/segments/${seg.id}/members?limit=2&cursor=${cursor}`);
    ok(m);
    assert.equal(m.json.total, want);
    seen.push(...m.json.items.map((x) => x.id));
    for (const it of m.json.items) assert.ok(it.display_name && it.lifecycle);
    if (!m.json.next_cursor) break;
    cursor = m.json.next_cursor;
  }
  assert.equal(seen.length, want);
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  assert.equal(new Set(seen).size, want);

  const list = await srv.req('GET', '/api/v1/segments');
  ok(list);
  assert.ok(list.json.items.some((s) => s.id === seg.id && s.expr === expr));
  ok(await srv.req('GET', `/api/v1/segments/${seg.id}`));
  assert.equal((await srv.req('GET', '/api/v1/segments/999999')).status, 404);
  assert.equal((await srv.req('GET', '/api/v1/segments/999999/members')).status, 404);
  assert.equal((await srv.req('GET', `/api/v1/segments/${seg.id}/members?limit=0`)).status, 400);
});

test('refresh keeps membership current and emits segment.entered / segment.left', async () => {
  // a customer who never bought enters with a new order; another leaves by a new expression
  const newcomer = ids.find((id) => sql(`SELECT count(*) FROM segment_members WHERE segment_id = ${seg.id} AND customer_id = ${id}`) === 0);
  ok(await srv.req('POST', '/api/v1/orders', { customer_id: newcomer, ordered_at: '2026-06-20T10:00:00Z', total_minor: 5000, currency: 'EUR' }), 201);
  const r = await srv.req('POST', '/api/v1/segments/refresh');
  ok(r);
  assert.ok(r.json.changed >= 1);
  // the targeting groups, never evaluated before, were filled without events
  assert.ok(sql("SELECT count(*) FROM segment_members m JOIN segments s ON s.id = m.segment_id WHERE s.group_key = 'inactive'") > 0);
  assert.equal(sql('SELECT count(*) FROM events e JOIN segments s ON s.id = e.subject_id WHERE e.type = \'segment.entered\' AND s.group_key IS NOT NULL'), 0);
  assert.equal(sql(`SELECT count(*) FROM segment_members WHERE segment_id = ${seg.id} AND customer_id = ${newcomer}`), 1);
  assert.equal(sql(`SELECT count(*) FROM events WHERE type = 'segment.entered' AND customer_id = ${newcomer} AND subject_id = ${seg.id}`), 1);
  const tl = await srv.req('GET', `/api/v1/customers/${newcomer}/timeline?kind=segment`);
  ok(tl);
  assert.ok(tl.json.items.some((x) => x.kind === 'segment' && x.title === 'Recent buyers' && x.outcome === 'entered'), JSON.stringify(tl.json));
  const again = await srv.req('POST', '/api/v1/segments/refresh');
  ok(again);
  assert.equal(sql(`SELECT count(*) FROM events WHERE type = 'segment.entered' AND customer_id = ${newcomer} AND subject_id = ${seg.id}`), 1, 'no duplicate event');

  const before = (await srv.req('GET', `/api/v1/segments/${seg.id}`)).json.member_count;
  const narrowed = await srv.req('PATCH', `/api/v1/segments/${seg.id}`, { expr: 'orders_count >= 1 AND last_purchase >= today - 30d' });
  ok(narrowed);
  const left = sql(`SELECT count(*) FROM events WHERE type = 'segment.left' AND subject_id = ${seg.id}`);
  assert.equal(narrowed.json.member_count, before - left);
  assert.ok(left >= 1);
  const ev = await srv.req('GET', `/api/v1/events?type=segment.left&customer_id=0`);
  if (ev.status === 200) assert.ok(JSON.stringify(ev.json).includes('segment.left'));
  // a bad PATCH changes nothing
  assert.equal((await srv.req('PATCH', `/api/v1/segments/${seg.id}`, { expr: 'orders_count >=' })).status, 422);
  assert.equal((await srv.req('GET', `/api/v1/segments/${seg.id}`)).json.expr, 'orders_count >= 1 AND last_purchase >= today - 30d');
  assert.equal((await srv.req('PATCH', `/api/v1/segments/${seg.id}`, { kind: 'static' })).status, 409);
});

test('static lists: filled from an expression once, then by hand', async () => {
  const r = await srv.req('POST', '/api/v1/segments', { name: 'VIP mailing', kind: 'static', expr: 'tags contains vip' });
  ok(r, 201);
  const vip = sql(`SELECT count(*) FROM customer_tags WHERE tag = 'vip'`);
  assert.equal(r.json.member_count, vip);
  const outsider = ids.find((id) => sql(`SELECT count(*) FROM customer_tags WHERE customer_id = ${id} AND tag = 'vip'`) === 0);
  const add = await srv.req('POST', `/api/v1/segments/${r.json.id}/members`, { customer_ids: [outsider] });
  ok(add);
  assert.equal(add.json.member_count, vip + 1);
  assert.equal(sql(`SELECT count(*) FROM events WHERE type = 'segment.entered' AND customer_id = ${outsider} AND subject_id = ${r.json.id}`), 1);
  const m = await srv.req('GET', `/api/v1/segments/${r.json.id}/members?limit=500`);
  assert.ok(m.json.items.some((x) => x.id === outsider));
  // a static list does not follow the data
  ok(await srv.req('POST', '/api/v1/segments/refresh'));
  assert.equal((await srv.req('GET', `/api/v1/segments/${r.json.id}`)).json.member_count, vip + 1);
  const bad = await srv.req('POST', `/api/v1/segments/${r.json.id}/members`, { customer_ids: [outsider, 99999999] });
  assert.equal(bad.status, 404);
  assert.equal((await srv.req('POST', `/api/v1/segments/${r.json.id}/members`, { customer_ids: ['x'] })).json.errors[0].field, 'customer_ids[0]');
  assert.equal((await srv.req('GET', `/api/v1/segments/${r.json.id}`)).json.member_count, vip + 1, 'nothing half-done');
  const rm = await srv.req('DELETE', `/api/v1/segments/${r.json.id}/members`, { customer_ids: [outsider] });
  ok(rm);
  assert.equal(rm.json.member_count, vip);
  assert.equal((await srv.req('POST', `/api/v1/segments/${seg.id}/members`, { customer_ids: [outsider] })).status, 409, 'not on a dynamic segment');
  const del = await srv.req('DELETE', `/api/v1/segments/${r.json.id}`);
  assert.equal(del.status, 204);
  assert.equal((await srv.req('GET', `/api/v1/segments/${r.json.id}`)).status, 404);
});

test('targeting groups: the seed\'s groups and the matrix, editable definitions', async () => {
  const r = await srv.req('GET', '/api/v1/targeting/groups');
  ok(r);
  const keys = r.json.groups.map((g) => g.key);
  for (const k of ['best', 'high_potential', 'lead', 'new', 'inactive', 'unhappy', 'former', 'true_friends', 'butterflies', 'barnacles', 'strangers'])
    assert.ok(keys.includes(k), k);
  const inactive = r.json.groups.find((g) => g.key === 'inactive');
  assert.equal(inactive.count, (await count('lifecycle = inactive')).json.count);
  const unhappy = r.json.groups.find((g) => g.key === 'unhappy');
  assert.equal(unhappy.count, (await count(unhappy.expr)).json.count);
  assert.ok(unhappy.count >= 1);
  const quad = r.json.groups.filter((g) => g.kind === 'matrix').reduce((s, g) => s + g.count, 0);
  assert.equal(quad, (await count('quadrant is not null')).json.count);
  assert.ok(r.json.matrix);
  // the revenue of a group is the sum of its customers' net revenue
  const rev = sql(`SELECT COALESCE(SUM(revenue_minor), 0) FROM customers c WHERE ${LIVE} AND orders_count > 0 AND last_order_at < ${T} - 365 * 86400 AND last_order_at >= ${T} - 730 * 86400 AND NOT (EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id AND k.status <> 'cancelled'))`);
  assert.ok(Math.abs(inactive.revenue * 100 - rev) < 0.5);
  // editable: a wider definition of unhappy
  const patched = await srv.req('PATCH', `/api/v1/segments/${unhappy.segment_id}`, { expr: 'at_risk OR tags in [unhappy, complaint] OR consent.email = denied' });
  ok(patched);
  const after2 = (await srv.req('GET', '/api/v1/targeting/groups')).json.groups.find((g) => g.key === 'unhappy');
  assert.equal(after2.count, (await count('at_risk OR tags in [unhappy, complaint] OR consent.email = denied')).json.count);
  assert.equal((await srv.req('DELETE', `/api/v1/segments/${unhappy.segment_id}`)).status, 409);
  // lists per quadrant through the segment's members
  const tf = r.json.groups.find((g) => g.key === 'true_friends');
  const m = await srv.req('GET', `/api/v1/segments/${tf.segment_id}/members?limit=500`);
  ok(m);
  assert.equal(m.json.total, tf.count);
});

test('roles: analysts count and read, marketers write', async () => {
  const analyst = await userWithRole(srv, 'analyst');
  ok(await count('at_risk', analyst.token));
  ok(await srv.req('GET', '/api/v1/segments', undefined, { auth: analyst.token }));
  ok(await srv.req('GET', '/api/v1/targeting/groups', undefined, { auth: analyst.token }));
  assert.equal((await srv.req('POST', '/api/v1/segments', { name: 'A', expr: 'at_risk' }, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/segments/refresh', undefined, { auth: analyst.token })).status, 403);
  const sales = await userWithRole(srv, 'sales');
  assert.equal((await srv.req('PATCH', `/api/v1/segments/${seg.id}`, { name: 'x' }, { auth: sales.token })).status, 403);
  const mkt = await userWithRole(srv, 'marketing');
  ok(await srv.req('POST', '/api/v1/segments', { name: 'Marketing list', expr: 'consent.email = granted' }, { auth: mkt.token }), 201);
  assert.equal((await srv.req('POST', '/api/v1/segments/count', { expr: 'at_risk' }, { auth: null })).status, 401);
});

test('the field catalogue and the OpenAPI document', async () => {
  const f = await srv.req('GET', '/api/v1/segments/fields');
  ok(f);
  const names = f.json.fields.map((x) => x.name);
  for (const n of ['kind', 'lifecycle', 'tags', 'consent.email', 'rfm_segment', 'abc_class', 'clv', 'quadrant', 'at_risk', 'last_purchase'])
    assert.ok(names.includes(n), n);
  assert.ok(f.json.fields.find((x) => x.name === 'rfm_segment').values.includes('champions'));
  const o = await srv.req('GET', '/api/v1/openapi.json');
  assert.ok(o.json.paths['/api/v1/segments/count'].post.requestBody);
  assert.ok(o.json.paths['/api/v1/targeting/groups'].get);
});

test('the CLI: count, members as CSV and JSON, list, groups, errors', async () => {
  const expr = 'kind = person AND revenue > 100';
  const c = cli(['segment', 'count', '--expr', expr, '--db', srv.db], { env: { RELATIO_NOW: NOW } });
  assert.equal(c.status, 0, c.stderr);
  assert.equal(Number(c.stdout.trim()), (await count(expr)).json.count);
  const csv = cli(['segment', 'members', '--expr', expr, '--csv', '--db', srv.db], { env: { RELATIO_NOW: NOW } });
  assert.equal(csv.status, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.equal(lines[0], 'id,display_name,email,city,country,lifecycle,orders_count,revenue_minor');
  assert.equal(lines.length - 1, Number(c.stdout.trim()));
  const js = cli(['segment', 'members', 'Recent buyers', '--json', '--db', srv.db], { env: { RELATIO_NOW: NOW } });
  assert.equal(js.status, 0, js.stderr);
  const arr = JSON.parse(js.stdout);
  assert.equal(arr.length, (await srv.req('GET', `/api/v1/segments/${seg.id}/members`)).json.total);
  const l = cli(['segment', 'list', '--json', '--db', srv.db]);
  assert.equal(l.status, 0, l.stderr);
  assert.ok(JSON.parse(l.stdout).items.some((s) => s.name === 'Recent buyers'));
  const g = cli(['segment', 'groups', '--db', srv.db], { env: { RELATIO_NOW: NOW } });
  assert.equal(g.status, 0, g.stderr);
  assert.match(g.stdout, /^inactive\s/m);
  const bad = cli(['segment', 'count', '--expr', 'revenue >> 5', '--db', srv.db]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /expr: at byte 9/);
  const created = cli(['segment', 'create', '--name', 'From CLI', '--expr', 'at_risk', '--db', srv.db]);
  assert.equal(created.status, 0, created.stderr);
  assert.ok(Number(created.stdout.trim()) > 0);
  const show = cli(['segment', 'show', 'From CLI', '--db', srv.db]);
  assert.equal(JSON.parse(show.stdout).expr, 'at_risk');
  assert.equal(cli(['segment', 'show', 'nope', '--db', srv.db]).status, 2);
  assert.equal(cli(['segment', '--db', srv.db]).status, 1);
  // an empty database: every field, scores included, counts nobody
  const empty = `${srv.dir}/empty.db`;
  for (const expr of ['clv > 0 OR quadrant = strangers', 'rfm_segment = champions AND abc_class = A', 'lifecycle = new']) {
    const r = cli(['segment', 'count', '--expr', expr, '--db', empty]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0');
  }
  const eg = cli(['segment', 'groups', '--json', '--db', empty]);
  assert.equal(eg.status, 0, eg.stderr);
  assert.ok(JSON.parse(eg.stdout).groups.every((x) => x.count === 0));
});
