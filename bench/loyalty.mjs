// Loyalty concurrency benchmark through the HTTP API: M members (default
// 1,000, 100 welcome points each), then R requests (default 1,000) fired at
// once, in pairs on one member: two redemptions of 60 points racing (only
// one can succeed: the balance check and the debit are one write
// transaction), or two awards of 40. Every balance is then compared with what the accepted requests
// imply, with the ledger sum, and checked non-negative.
//   node bench/loyalty.mjs   (RELATIO_BIN, LOYALTY_MEMBERS, LOYALTY_REQUESTS)
import { startServer, person } from '../tests/api/harness.mjs';

const M = Number(process.env.LOYALTY_MEMBERS || 1000);
const R = Number(process.env.LOYALTY_REQUESTS || 1000);
const srv = await startServer();
const row = (k, v) => console.log(k.padEnd(56) + ' ' + v);
try {
  const reward = (await srv.req('POST', '/api/v1/loyalty/rewards', { name: 'bench', cost_points: 60 })).json;
  const ids = [];
  let t0 = performance.now();
  for (let i = 0; i < M; i += 50) { // 50 at a time: creation is not what we measure
    const batch = await Promise.all(Array.from({ length: Math.min(50, M - i) }, async () => {
      const c = (await srv.req('POST', '/api/v1/customers', person())).json;
      const r = await srv.req('POST', `/api/v1/loyalty/members/${c.id}`);
      if (r.status !== 201) throw new Error(JSON.stringify(r.json));
      return c.id;
    }));
    ids.push(...batch);
  }
  row(`enrol ${M} members (customer + enrolment, 50 in flight)`, `${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const expect = new Map(ids.map((id) => [id, 100]));
  const ops = [];
  t0 = performance.now();
  for (let i = 0; i < R; i++) {
    const pair = Math.floor(i / 2);
    const id = ids[pair % M];
    const award = pair % 2 === 1;
    const p = award
      ? srv.req('POST', `/api/v1/loyalty/members/${id}/awards`, { points: 40 })
      : srv.req('POST', `/api/v1/loyalty/members/${id}/redemptions`, { reward_id: reward.id });
    ops.push(p.then((r) => ({ id, r, d: award ? 40 : -60 })));
  }
  const done = await Promise.all(ops);
  const secs = (performance.now() - t0) / 1000;
  let ok = 0, refused = 0, other = 0;
  for (const { id, r, d } of done) {
    if (r.status === 201) { ok++; expect.set(id, expect.get(id) + d); }
    else if (r.status === 409 && d < 0) refused++;
    else other++;
  }
  row(`${R} concurrent award/redeem requests`, `${secs.toFixed(2)} s (${(R / secs).toFixed(0)} req/s): ${ok} accepted, ${refused} refused (not enough points), ${other} other`);
  let wrong = 0, negative = 0, sumWrong = 0;
  for (const id of ids) {
    const m = (await srv.req('GET', `/api/v1/loyalty/members/${id}`)).json;
    if (m.balance !== expect.get(id)) wrong++;
    if (m.balance < 0) negative++;
    const l = (await srv.req('GET', `/api/v1/loyalty/members/${id}/ledger?limit=500`)).json.items;
    if (l.reduce((a, e) => a + e.points, 0) !== m.balance) sumWrong++;
  }
  const verify = (await srv.req('GET', '/api/v1/loyalty/verify')).json.mismatched;
  row('balances checked', `${M}: ${wrong} differ from the accepted requests, ${sumWrong} from their ledger, ${negative} negative; verify: ${verify} mismatched`);
  const expected = Math.floor(R / 4); // one of each racing pair of redemptions
  if (refused !== expected) row('UNEXPECTED', `${refused} refused, ${expected} expected`);
  if (wrong || negative || sumWrong || verify || other || refused !== expected) process.exitCode = 1;
} finally {
  await srv.stop();
}
