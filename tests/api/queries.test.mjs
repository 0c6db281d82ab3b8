// Hostile query strings and cursors on every GET route of the OpenAPI
// document: each parameter name the routes read, set to values that break
// naive parsers (overflowing and negative numbers, opaque cursors taken
// apart, SQL and HTML, invalid UTF-8, NUL, very long values), first one value
// for all names at once, then seeded random mixes. Every answer is either a
// success or a problem (4xx with problem+json), never a 5xx, never a hang,
// and the data stays as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, person } from './harness.mjs';

let srv, cust;
before(async () => {
  srv = await startServer({ env: { RELATIO_SLA_SWEEP_SECONDS: '0', RELATIO_SEGMENT_REFRESH: '0' } });
  cust = (await srv.req('POST', '/api/v1/customers', person())).json;
  for (let i = 0; i < 3; i++) {
    const r = await srv.req('POST', '/api/v1/interactions',
      { customer_id: cust.id, channel: 'phone', direction: 'inbound', subject: `call ${i}` });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
});
after(async () => { await srv.stop(); });

// sessions, login attempts, request logs and consumer cursors change legitimately
const dump = () => execFileSync('sqlite3', [srv.db, '.dump'], { maxBuffer: 1 << 28 }).toString()
  .split('\n').filter((l) => !/INSERT INTO "?(sessions|login_attempts|event_cursors|jobs)"?/.test(l)).join('\n');

// the names the list, report and analytics routes read
const NAMES = ['cursor', 'limit', 'q', 'after', 'as_of', 'since', 'until', 'from', 'to', 'period',
  'status', 'channel', 'kind', 'segment', 'class', 'quadrant', 'level', 'kpi', 'months', 'offset',
  'sort', 'order', 'format', 'lifecycle', 'country', 'tag', 'owner', 'team', 'category', 'source',
  'summary', 'horizon', 'window', 'min_score', 'page', 'per', 'lang'];

const enc = (s) => encodeURIComponent(s);
const HOSTILE = [
  '', '-1', '0', '9223372036854775807', '9223372036854775808', '-9223372036854775809',
  '1e308', 'NaN', '0x10', ' 12', '12abc', '1.5', '2026-02-30', '2026-13-01', '99999-01-01',
  "' OR 1=1 --", '"; DROP TABLE customers; --', '<script>alert(1)</script>', '../../etc/passwd',
  '%', '\u00e9\u00e8', 'a'.repeat(200), '2026-01-01T00:00:00Z.999.-5', '1.customer.2',
  '.....', 'x.y.z.w', 'true', 'null', '[]', '{}',
].map(enc).concat(['%ff%fe', '%00', '%c3%28', '%e2%82', '%ed%a0%80']); // raw, already encoded

// a small seeded generator, so a failure replays
let seed = 0x9e3779b9;
const rnd = (n) => {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed % n;
};
const randomValue = () => {
  if (rnd(3) === 0) return HOSTILE[rnd(HOSTILE.length)];
  let s = '';
  for (let i = 0, n = 1 + rnd(40); i < n; i++) s += '%' + rnd(256).toString(16).padStart(2, '0');
  return s;
};

test('every GET route survives hostile query strings and cursors', async () => {
  const doc = (await srv.req('GET', '/api/v1/openapi.json', undefined, { auth: null })).json;
  const routes = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!item.get || path.includes('/auth/') || /stream|export|backup/.test(path)) continue;
    routes.push(path.replace(/\{[^}]+\}/g, String(cust.id)));
  }
  assert.ok(routes.length > 60, `${routes.length} GET routes`);
  const before = dump();
  const problems = [];
  let tried = 0;
  const check = async (url) => {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 20000);
    let r;
    try {
      r = await fetch(srv.base + url, { headers: { authorization: `Bearer ${srv.token}` }, signal: ctl.signal });
    } catch (e) {
      problems.push(`${url.slice(0, 160)}: ${e.name}`);
      return;
    } finally { clearTimeout(timer); }
    const type = r.headers.get('content-type') ?? '';
    const body = await r.text();
    tried++;
    if (r.status >= 500) problems.push(`${url.slice(0, 160)}: ${r.status} ${body.slice(0, 160)}`);
    else if (r.status >= 400 && !type.includes('problem+json')) problems.push(`${url.slice(0, 160)}: ${r.status} not a problem`);
    else if (r.status >= 400) {
      const p = JSON.parse(body);
      if (!p.title || !p.status) problems.push(`${url.slice(0, 160)}: problem without title/status`);
    }
  };
  for (const route of routes) {
    for (const v of HOSTILE) await check(`${route}?${NAMES.map((n) => `${n}=${v}`).join('&')}`);
    for (let i = 0; i < 8; i++) {
      const parts = [];
      for (let k = 0, n = 1 + rnd(6); k < n; k++) parts.push(`${NAMES[rnd(NAMES.length)]}=${randomValue()}`);
      await check(`${route}?${parts.join('&')}`);
    }
    // a cursor handed back by the server, taken apart and reassembled
    await check(`${route}?cursor=${enc('9'.repeat(30))}&limit=1`);
  }
  assert.deepEqual(problems, [], `${problems.length} of ${tried} hostile queries mishandled`);
  assert.ok(tried > 2000, `${tried} hostile queries tried`);
  assert.equal(dump(), before, 'the data is as it was');
});

test('an over-long query string is refused with 414, as a problem while the server can parse it', async () => {
  const long = await srv.req('GET', `/api/v1/customers?q=${'a'.repeat(9000)}`);
  assert.equal(long.status, 414);
  assert.match(long.headers.get('content-type'), /problem\+json/);
  assert.equal(long.json.errors[0].field, 'query');
  const fits = await srv.req('GET', `/api/v1/customers?q=${'a'.repeat(4000)}`);
  assert.ok([200, 400, 422].includes(fits.status), String(fits.status));
  assert.notEqual(fits.status, 414);
  // beyond the HTTP library's request-line buffer the library itself answers 414
  const huge = await fetch(`${srv.base}/api/v1/customers?q=${'a'.repeat(200000)}`, { headers: { authorization: `Bearer ${srv.token}` } });
  assert.equal(huge.status, 414);
  assert.equal((await srv.req('GET', '/healthz', undefined, { auth: null })).status, 200, 'still serving');
});

test('a real cursor from the timeline and the customer list pages on; a forged one is refused or ignored', async () => {
  const first = await srv.req('GET', `/api/v1/customers/${cust.id}/timeline?limit=1`);
  assert.equal(first.status, 200);
  assert.ok(first.json.next_cursor, 'a next cursor');
  const second = await srv.req('GET', `/api/v1/customers/${cust.id}/timeline?limit=1&cursor=${enc(first.json.next_cursor)}`);
  assert.equal(second.status, 200);
  assert.notDeepEqual(second.json.items[0], first.json.items[0], 'the second page moves on');
  for (const forged of ['abc', '1.2', `${first.json.next_cursor}.9`, first.json.next_cursor.replace(/\d/g, 'x')]) {
    const r = await srv.req('GET', `/api/v1/customers/${cust.id}/timeline?limit=1&cursor=${enc(forged)}`);
    assert.ok([200, 400, 422].includes(r.status), `${forged}: ${r.status}`);
    if (r.status !== 200) assert.equal(r.json.errors?.[0]?.field, 'cursor', JSON.stringify(r.json));
  }
  const bad = await srv.req('GET', '/api/v1/customers?cursor=abc');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.errors[0].field, 'cursor');
});
