// Loyalty programme: enrolment, card numbers, earning on orders (base and
// category rates, tier bonus), reversals on cancellation and refund,
// referral, tiers, rewards and redemption, expiry and birthdays (CLI at a
// later RELATIO_NOW), bad input, roles, and concurrent earn/redeem.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person, userWithRole, cli } from './harness.mjs';

const NOW = '2026-07-01T12:00:00Z';
let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: NOW } }); });
after(async () => { await srv.stop(); });

const newCustomer = async (extra) => (await srv.req('POST', '/api/v1/customers', person(extra))).json;
const member = async (id) => (await srv.req('GET', `/api/v1/loyalty/members/${id}`)).json;
const ledger = async (id) => (await srv.req('GET', `/api/v1/loyalty/members/${id}/ledger?limit=500`)).json.items;
const enrol = async (extra = {}, body) => {
  const c = await newCustomer(extra);
  const r = await srv.req('POST', `/api/v1/loyalty/members/${c.id}`, body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return { c, m: r.json };
};
const luhnOk = (s) => {
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    let d = Number(s[s.length - 1 - i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
};
const sumLedger = (items) => items.reduce((a, e) => a + e.points, 0);
const verify = async () => (await srv.req('GET', '/api/v1/loyalty/verify')).json.mismatched;

test('enrolment: card with a check digit, referral code, welcome bonus, lookups', async () => {
  const { c, m } = await enrol();
  assert.match(m.card_number, /^92\d{14}$/);
  assert.ok(luhnOk(m.card_number), m.card_number);
  assert.match(m.referral_code, /^[0-9A-HJKMNP-TV-Z]{8}$/);
  assert.equal(m.balance, 100, 'welcome bonus');
  assert.equal(m.tier, 'Bronze');
  assert.equal(m.next_tier.name, 'Silver');
  assert.equal(m.next_tier.points_needed, 1000);
  const l = await ledger(c.id);
  assert.equal(l.length, 1);
  assert.equal(l[0].kind, 'bonus');
  assert.equal(l[0].ref, 'welcome');
  assert.equal(l[0].expires_at, '2028-07-01T12:00:00Z', '24 months by default');
  // lookups by card: right, mistyped (check digit), unknown
  assert.equal((await srv.req('GET', `/api/v1/loyalty/cards/${m.card_number}`)).json.customer_id, c.id);
  const typo = m.card_number.slice(0, 15) + String((Number(m.card_number[15]) + 1) % 10);
  const bad = await srv.req('GET', `/api/v1/loyalty/cards/${typo}`);
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'card');
  assert.match(bad.json.detail, /check digit/);
  assert.equal((await srv.req('GET', '/api/v1/loyalty/cards/12ab')).status, 422);
  // twice, a guest, a stranger, an unknown sponsor
  const again = await srv.req('POST', `/api/v1/loyalty/members/${c.id}`);
  assert.equal(again.status, 409);
  const guest = (await srv.req('POST', '/api/v1/orders', { customer_external_id: 'G-1', total_minor: 100 })).json;
  assert.equal((await srv.req('POST', `/api/v1/loyalty/members/${guest.customer_id}`)).status, 422);
  assert.equal((await srv.req('POST', '/api/v1/loyalty/members/999999')).status, 404);
  assert.equal((await srv.req('GET', `/api/v1/loyalty/members/${guest.customer_id}`)).status, 404);
  assert.deepEqual((await srv.req('GET', `/api/v1/customers/${guest.customer_id}/loyalty`)).json, { member: null });
  assert.equal((await srv.req('GET', `/api/v1/customers/${c.id}/loyalty`)).json.member.balance, 100);
  assert.equal((await srv.req('GET', '/api/v1/customers/999999/loyalty')).status, 404);
  const c2 = await newCustomer();
  const unk = await srv.req('POST', `/api/v1/loyalty/members/${c2.id}`, { referral_code: 'ZZZZZZZZ' });
  assert.equal(unk.status, 422);
  assert.equal(unk.json.errors[0].field, 'referral_code');
  assert.equal((await srv.req('GET', `/api/v1/loyalty/members/${c2.id}`)).status, 404, 'nothing written');
  // the ledger appears on the 360° timeline
  const tl = await srv.req('GET', `/api/v1/customers/${c.id}/timeline?kind=loyalty`);
  assert.equal(tl.status, 200);
  assert.equal(tl.json.items.length, 1);
  assert.equal(tl.json.items[0].outcome, 'balance 100');
});

test('orders earn points (base and category rates); cancellation and refunds reverse them', async () => {
  const rule = await srv.req('POST', '/api/v1/loyalty/rules', { kind: 'category', category: 'perfume', rate: 3 });
  assert.equal(rule.status, 201, JSON.stringify(rule.json));
  assert.equal((await srv.req('POST', '/api/v1/loyalty/rules', { kind: 'category', category: 'perfume', rate: 4 })).status, 409);
  assert.equal((await srv.req('POST', '/api/v1/loyalty/rules', { kind: 'category', rate: 4 })).json.errors[0].field, 'category');
  await srv.req('POST', '/api/v1/products', { sku: 'LOY-PARF', name: 'Parfum', category: 'perfume', price_minor: 5000 });
  await srv.req('POST', '/api/v1/products', { sku: 'LOY-SOAP', name: 'Savon', category: 'soap', price_minor: 450 });
  const { c } = await enrol();
  const o1 = await srv.req('POST', '/api/v1/orders', { customer_id: c.id, lines: [
    { sku: 'LOY-PARF', quantity: 2, unit_price_minor: 5000 }, // 100 € x 3
    { sku: 'LOY-SOAP', quantity: 3, unit_price_minor: 450 },  // 13.50 € x 1
  ] });
  assert.equal(o1.status, 201, JSON.stringify(o1.json));
  let m = await member(c.id);
  assert.equal(m.balance, 100 + 300 + 13);
  assert.equal(m.tier_points, 313);
  const o2 = await srv.req('POST', '/api/v1/orders', { customer_id: c.id, total_minor: 8999 });
  assert.equal((await member(c.id)).balance, 413 + 89);
  // cancel o2: its 89 points go; again: nothing more
  assert.equal((await srv.req('PATCH', `/api/v1/orders/${o2.json.id}`, { status: 'cancelled' })).status, 200);
  m = await member(c.id);
  assert.equal(m.balance, 413);
  assert.equal(m.tier_points, 313);
  await srv.req('PATCH', `/api/v1/orders/${o2.json.id}`, { status: 'cancelled' });
  assert.equal((await member(c.id)).balance, 413);
  // a refund order takes back what it refunds
  const rf = await srv.req('POST', '/api/v1/orders', { customer_id: c.id, kind: 'refund', total_minor: 5000 });
  assert.equal(rf.status, 201);
  m = await member(c.id);
  assert.equal(m.balance, 363);
  const l = await ledger(c.id);
  assert.deepEqual(l.map((e) => e.kind), ['reversal', 'reversal', 'earn', 'earn', 'bonus']);
  assert.equal(l[1].order_id, o2.json.id);
  assert.equal(l[1].expires_at, l[2].expires_at, 'a reversal expires with the credit it undoes');
  assert.equal(sumLedger(l), m.balance);
  for (let i = 0; i < l.length; i++) {
    assert.equal(l[i].balance_after, sumLedger(l.slice(i)), 'running balance');
  }
  // orders of non-members earn nothing and still work
  const other = await newCustomer();
  assert.equal((await srv.req('POST', '/api/v1/orders', { customer_id: other.id, total_minor: 1000 })).status, 201);
  assert.equal(await verify(), 0);
});

test('tiers: qualifying points move members up and down; tier bonus on purchases', async () => {
  const { c } = await enrol();
  const big = await srv.req('POST', '/api/v1/orders', { customer_id: c.id, total_minor: 120000 });
  let m = await member(c.id);
  assert.equal(m.tier, 'Silver');
  assert.equal(m.tier_points, 1200);
  assert.equal(m.next_tier.name, 'Gold');
  await srv.req('POST', '/api/v1/orders', { customer_id: c.id, total_minor: 10000 });
  m = await member(c.id);
  assert.equal(m.balance, 100 + 1200 + 110, '10 % more points in Silver');
  await srv.req('PATCH', `/api/v1/orders/${big.json.id}`, { status: 'refunded' });
  m = await member(c.id);
  assert.equal(m.tier, 'Bronze');
  assert.equal(m.balance, 210);
  const tc = (await srv.req('GET', `/api/v1/events?customer_id=${c.id}&type=loyalty.tier_changed`)).json.items;
  assert.deepEqual(tc.map((e) => [e.data.from_name, e.data.to_name]).reverse(), [[null, 'Bronze'], ['Bronze', 'Silver'], ['Silver', 'Bronze']]);
  const earned = (await srv.req('GET', `/api/v1/events?customer_id=${c.id}&type=loyalty.earned`)).json.items;
  assert.deepEqual(earned.map((e) => e.data.points).reverse(), [100, 1200, 110]);
  assert.equal((await srv.req('GET', `/api/v1/events?customer_id=${c.id}&type=loyalty.reversed`)).json.items[0].data.points, -1200);
  // bonuses do not qualify
  await srv.req('POST', `/api/v1/loyalty/members/${c.id}/awards`, { points: 5000, reason: 'game' });
  assert.equal((await member(c.id)).tier, 'Bronze');
  // a new tier; bad tiers refused
  const t = await srv.req('POST', '/api/v1/loyalty/tiers', { name: 'Platinum', threshold: 20000, earn_bonus_pct: 50, benefits: 'Concierge' });
  assert.equal(t.status, 201);
  assert.equal((await srv.req('POST', '/api/v1/loyalty/tiers', { name: 'Copy', threshold: 20000 })).status, 409);
  assert.equal((await srv.req('POST', '/api/v1/loyalty/tiers', { name: 'Neg', threshold: -1 })).status, 422);
  assert.equal((await srv.req('PATCH', `/api/v1/loyalty/tiers/${t.json.id}`, { benefits: 'Concierge, lounge' })).json.threshold, 20000);
  // thresholds that change move the members at once: the member of the test
  // before (263 qualifying points) into Platinum at 200, and back
  const low = await srv.req('PATCH', `/api/v1/loyalty/tiers/${t.json.id}`, { threshold: 200 });
  assert.equal(low.status, 200, JSON.stringify(low.json));
  const moved = (await srv.req('GET', '/api/v1/events?type=loyalty.tier_changed&limit=500')).json.items.filter((e) => e.data.to_name === 'Platinum');
  assert.ok(moved.length >= 1);
  for (const e of moved) assert.equal((await member(e.customer_id)).tier, 'Platinum');
  await srv.req('PATCH', `/api/v1/loyalty/tiers/${t.json.id}`, { threshold: 20000 });
  for (const e of moved) assert.equal((await member(e.customer_id)).tier, 'Bronze');
  const prog = (await srv.req('GET', '/api/v1/loyalty/programme')).json;
  assert.deepEqual(prog.tiers.map((x) => x.name), ['Bronze', 'Silver', 'Gold', 'Platinum']);
});

test('referral: both sides rewarded once, on the referee\'s first purchase', async () => {
  const { c: sponsor, m: sm } = await enrol();
  const { c: friend, m: fm } = await enrol({}, { referral_code: sm.referral_code.toLowerCase() });
  assert.equal(fm.referred_by, sponsor.id);
  assert.equal(fm.balance, 100);
  assert.equal((await member(sponsor.id)).balance, 100, 'nothing before a purchase');
  const rel = (await srv.req('GET', `/api/v1/customers/${friend.id}`)).json;
  assert.ok(JSON.stringify(rel).includes('referral'), 'linked as a referral');
  await srv.req('POST', '/api/v1/orders', { customer_id: friend.id, total_minor: 2000 });
  assert.equal((await member(friend.id)).balance, 100 + 20 + 250);
  assert.equal((await member(sponsor.id)).balance, 100 + 500);
  await srv.req('POST', '/api/v1/orders', { customer_id: friend.id, total_minor: 2000 });
  assert.equal((await member(friend.id)).balance, 100 + 20 + 250 + 20);
  assert.equal((await member(sponsor.id)).balance, 600, 'rewarded once');
});

test('rewards and redemption: balance, stock, tier, idempotency; data unchanged on refusal', async () => {
  const voucher = (await srv.req('POST', '/api/v1/loyalty/rewards', { name: '10 € voucher', cost_points: 80, stock: 2 })).json;
  const gold = (await srv.req('GET', '/api/v1/loyalty/programme')).json.tiers.find((t) => t.name === 'Gold');
  const spa = (await srv.req('POST', '/api/v1/loyalty/rewards', { name: 'Spa', cost_points: 10, min_tier_id: gold.id })).json;
  assert.equal((await srv.req('POST', '/api/v1/loyalty/rewards', { name: 'x', cost_points: 0 })).status, 422);
  assert.equal((await srv.req('POST', '/api/v1/loyalty/rewards', { name: 'x', cost_points: 5, min_tier_id: 999 })).status, 422);
  const { c } = await enrol();
  const r1 = await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: voucher.id, request_id: 'req-1' });
  assert.equal(r1.status, 201, JSON.stringify(r1.json));
  assert.equal(r1.json.balance, 20);
  const ev = (await srv.req('GET', `/api/v1/events?customer_id=${c.id}&type=loyalty.redeemed`)).json.items;
  assert.equal(ev.length, 1);
  assert.deepEqual(ev[0].data, { redemption_id: r1.json.redemption_id, reward_id: voucher.id, reward: '10 € voucher', points: 80, balance: 20 });
  const dup = await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: voucher.id, request_id: 'req-1' });
  assert.equal(dup.status, 409);
  const poor = await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: voucher.id });
  assert.equal(poor.status, 409);
  assert.equal(poor.json.errors[0].field, 'points');
  assert.match(poor.json.detail, /not enough points/);
  const tier = await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: spa.id });
  assert.equal(tier.status, 409);
  assert.match(tier.json.detail, /Gold/);
  assert.equal((await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: 999999 })).status, 422);
  let m = await member(c.id);
  assert.equal(m.balance, 20, 'refusals change nothing');
  assert.equal((await ledger(c.id)).length, 2);
  // stock runs out
  await srv.req('POST', `/api/v1/loyalty/members/${c.id}/awards`, { points: 500 });
  assert.equal((await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: voucher.id })).status, 201);
  const out = await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: voucher.id });
  assert.equal(out.status, 409);
  assert.match(out.json.detail, /out of stock/);
  // withdrawn
  await srv.req('PATCH', `/api/v1/loyalty/rewards/${voucher.id}`, { active: false, stock: 10 });
  assert.match((await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: voucher.id })).json.detail, /withdrawn/);
  assert.ok(!(await srv.req('GET', '/api/v1/loyalty/rewards')).json.items.some((x) => x.id === voucher.id));
  assert.ok((await srv.req('GET', '/api/v1/loyalty/rewards?all=1')).json.items.some((x) => x.id === voucher.id));
  m = await member(c.id);
  assert.equal(m.balance, 20 + 500 - 80);
  assert.equal(sumLedger(await ledger(c.id)), m.balance);
});

test('bad points: negative, zero, fractional, overflowing, unknown fields; debits above the balance', async () => {
  const { c } = await enrol();
  const url = `/api/v1/loyalty/members/${c.id}/awards`;
  for (const points of [-5, 0, 1.5, 1000001, 1e12, '10', null]) {
    const r = await srv.req('POST', url, { points });
    assert.equal(r.status, 422, String(points));
    assert.equal(r.json.errors[0].field, 'points');
  }
  const huge = await srv.req('POST', url, { raw: undefined }, { raw: '{"points": 99999999999999999999999}', headers: { 'content-type': 'application/json' } });
  assert.ok([400, 422].includes(huge.status));
  assert.equal((await srv.req('POST', url, { points: 5, bonus: 1 })).status, 422);
  const adj = `/api/v1/loyalty/members/${c.id}/adjustments`;
  assert.equal((await srv.req('POST', adj, { points: -101, reason: 'fix' })).status, 409);
  assert.equal((await srv.req('POST', adj, { points: -50 })).json.errors[0].field, 'reason');
  assert.equal((await srv.req('POST', adj, { points: 0, reason: 'x' })).status, 422);
  assert.equal((await srv.req('POST', adj, { points: -2000000, reason: 'x' })).status, 422);
  const ok = await srv.req('POST', adj, { points: -40, reason: 'duplicate welcome' });
  assert.equal(ok.status, 201);
  assert.equal(ok.json.balance_after, 60);
  const audit = await srv.req('GET', `/api/v1/customers/${c.id}/audit`);
  assert.ok(audit.json.items.some((a) => a.action === 'loyalty_adjust'));
  // idempotent awards for the rules engine
  assert.equal((await srv.req('POST', url, { points: 10, ref: 'rule-7:2026-07' })).status, 201);
  const twice = await srv.req('POST', url, { points: 10, ref: 'rule-7:2026-07' });
  assert.equal(twice.status, 409);
  assert.equal(twice.json.errors[0].field, 'ref');
  assert.equal((await member(c.id)).balance, 70);
  // the ledger refuses changes at the storage level too
  assert.equal(await verify(), 0);
});

test('roles: analysts read, support redeems, only leads and marketing award', async () => {
  const { c } = await enrol();
  const analyst = await userWithRole(srv, 'analyst');
  const support = await userWithRole(srv, 'support');
  assert.equal((await srv.req('GET', `/api/v1/loyalty/members/${c.id}`, undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('POST', `/api/v1/loyalty/members/${c.id}/awards`, { points: 5 }, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('POST', `/api/v1/loyalty/members/${c.id}/awards`, { points: 5 }, { auth: support.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/loyalty/rewards', { name: 'x', cost_points: 5 }, { auth: support.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/loyalty/expire', undefined, { auth: support.token })).status, 403);
  const rw = (await srv.req('POST', '/api/v1/loyalty/rewards', { name: 'Pen', cost_points: 30 })).json;
  assert.equal((await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: rw.id }, { auth: support.token })).status, 201);
  assert.equal((await srv.req('GET', `/api/v1/loyalty/members/${c.id}`, undefined, { auth: null })).status, 401);
});

test('concurrency: parallel redemptions never overspend; mixed earn/redeem keep balances exact', async () => {
  const { c } = await enrol();
  await srv.req('POST', `/api/v1/loyalty/members/${c.id}/awards`, { points: 900 }); // 1000 in all
  const rw = (await srv.req('POST', '/api/v1/loyalty/rewards', { name: 'Bag', cost_points: 100 })).json;
  const rs = await Promise.all(Array.from({ length: 40 }, () =>
    srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: rw.id })));
  assert.equal(rs.filter((r) => r.status === 201).length, 10);
  assert.equal(rs.filter((r) => r.status === 409).length, 30);
  let m = await member(c.id);
  assert.equal(m.balance, 0);
  let l = await ledger(c.id);
  assert.ok(l.every((e) => e.balance_after >= 0), 'never negative');
  // the same request id sent 20 times at once redeems once
  await srv.req('POST', `/api/v1/loyalty/members/${c.id}/awards`, { points: 1000 });
  const same = await Promise.all(Array.from({ length: 20 }, () =>
    srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: rw.id, request_id: 'double-click' })));
  assert.equal(same.filter((r) => r.status === 201).length, 1);
  assert.equal((await member(c.id)).balance, 900);
  // many members, awards and redemptions interleaved
  const ms = [];
  for (let i = 0; i < 10; i++) ms.push((await enrol()).c.id);
  const ops = [];
  const expect = new Map(ms.map((id) => [id, 100]));
  for (let i = 0; i < 200; i++) {
    const id = ms[i % ms.length];
    if (i % 3 === 0) ops.push(srv.req('POST', `/api/v1/loyalty/members/${id}/awards`, { points: 7 }).then((r) => ({ id, r, d: 7 })));
    else ops.push(srv.req('POST', `/api/v1/loyalty/members/${id}/redemptions`, { reward_id: rw.id }).then((r) => ({ id, r, d: -100 })));
  }
  for (const { id, r, d } of await Promise.all(ops)) {
    assert.ok([201, 409].includes(r.status), JSON.stringify(r.json));
    if (r.status === 201) expect.set(id, expect.get(id) + d);
    else assert.equal(d, -100, 'only redemptions may be refused');
  }
  for (const id of ms) {
    m = await member(id);
    assert.equal(m.balance, expect.get(id));
    assert.ok(m.balance >= 0);
    l = await ledger(id);
    assert.equal(sumLedger(l), m.balance);
  }
  assert.equal(await verify(), 0);
});

test('expiry (FIFO) and birthdays run as daily jobs at a later date', async () => {
  const { c } = await enrol({ birth_date: '1990-03-15' });
  await srv.req('POST', `/api/v1/loyalty/members/${c.id}/awards`, { points: 50, reason: 'game' });
  const rw = (await srv.req('POST', '/api/v1/loyalty/rewards', { name: 'Mug', cost_points: 120 })).json;
  assert.equal((await srv.req('POST', `/api/v1/loyalty/members/${c.id}/redemptions`, { reward_id: rw.id })).status, 201);
  assert.equal((await member(c.id)).balance, 30);
  // now: nothing to expire
  assert.equal((await srv.req('POST', '/api/v1/loyalty/expire')).json.members, 0);
  // 2 years and a day later, the 150 points credited have expired; 120 were spent first
  const later = { env: { RELATIO_NOW: '2028-07-02T12:00:00Z' } };
  const ex = cli(['loyalty', 'expire', '--db', srv.db, '--json'], later);
  assert.equal(ex.status, 0, ex.stderr);
  assert.ok(JSON.parse(ex.stdout).members_expired >= 1);
  let m = await member(c.id);
  assert.equal(m.balance, 0);
  const l = await ledger(c.id);
  assert.equal(l[0].kind, 'expire');
  assert.equal(l[0].points, -30);
  // again: nothing more
  cli(['loyalty', 'expire', '--db', srv.db], later);
  assert.equal((await ledger(c.id)).length, l.length);
  // birthdays: once a year
  const bday = { env: { RELATIO_NOW: '2027-03-15T08:00:00Z' } };
  const b1 = cli(['loyalty', 'birthdays', '--db', srv.db, '--json'], bday);
  assert.equal(b1.status, 0, b1.stderr);
  assert.equal(JSON.parse(b1.stdout).birthday_bonuses, 1);
  assert.equal(JSON.parse(cli(['loyalty', 'birthdays', '--db', srv.db, '--json'], bday).stdout).birthday_bonuses, 0);
  m = await member(c.id);
  assert.equal(m.balance, 200);
  const v = cli(['loyalty', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  const bal = cli(['loyalty', 'balance', String(c.id), '--db', srv.db]);
  assert.equal(JSON.parse(bal.stdout).balance, 200);
  assert.equal(cli(['loyalty', 'balance', 'abc', '--db', srv.db]).status, 1);
  // expiry setting
  assert.equal((await srv.req('PATCH', '/api/v1/loyalty/programme', { expiry_months: 500 })).status, 422);
  assert.equal((await srv.req('PATCH', '/api/v1/loyalty/programme', { expiry_months: 12 })).json.expiry_months, 12);
  const aw = await srv.req('POST', `/api/v1/loyalty/members/${c.id}/awards`, { points: 1 });
  assert.equal(aw.json.expires_at, '2027-07-01T12:00:00Z');
  await srv.req('PATCH', '/api/v1/loyalty/programme', { expiry_months: 24 });
});

test('the OpenAPI document lists the loyalty routes', async () => {
  const doc = (await srv.req('GET', '/api/v1/openapi.json')).json;
  assert.ok(doc.paths['/api/v1/loyalty/members/{id}/redemptions'].post.requestBody);
  assert.ok(doc.paths['/api/v1/loyalty/programme'].get.summary);
});
