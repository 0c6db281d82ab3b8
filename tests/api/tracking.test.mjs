// Web tracking through the public API: sites, the collector (CORS, bots,
// consent, limits), sessions, identity stitching, the event log, audience
// report and personalised content.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, person, userWithRole } from './harness.mjs';

const NOW = '2026-03-10T12:00:00Z';
const T0 = Date.parse(NOW) / 1000;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const ORIGIN = 'https://shop.example';
let srv, site;

const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

async function collect(body, { origin = ORIGIN, ua = UA, raw } = {}) {
  const headers = { 'user-agent': ua };
  if (origin) headers.origin = origin;
  return srv.req('POST', '/t/collect', body, { auth: null, headers, raw });
}

function sign(secret, key, cid, exp) {
  const mac = crypto.createHmac('sha256', secret).update(`${key}.${cid}.${exp}`).digest('hex');
  return `${cid}.${exp}.${mac}`;
}

before(async () => {
  srv = await startServer({ env: { RELATIO_NOW: NOW } });
  const r = await srv.req('POST', '/api/v1/tracking/sites', { name: 'Shop', origins: [ORIGIN, 'http://127.0.0.1:9'] });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.match(r.json.key, /^[0-9a-f]{24}$/);
  assert.match(r.json.secret, /^[0-9a-f]{64}$/);
  site = r.json;
});
after(async () => { await srv.stop(); });

test('sites: listed without their secret; bad origins refused naming the field', async () => {
  const l = await srv.req('GET', '/api/v1/tracking/sites');
  assert.equal(l.status, 200);
  assert.equal(l.json.items[0].key, site.key);
  assert.equal(l.json.items[0].secret, undefined);
  const bad = await srv.req('POST', '/api/v1/tracking/sites', { name: 'x', origins: ['https://a.example/path'] });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'origins[0]');
  const analyst = await userWithRole(srv, 'analyst');
  const ro = await srv.req('POST', '/api/v1/tracking/sites', { name: 'y', origins: [ORIGIN] }, { auth: analyst.token });
  assert.equal(ro.status, 403);
});

test('collect: page views make sessions that end after 30 minutes of inactivity', async () => {
  const visitor = 'visitor-sessions-1';
  const events = [
    { type: 'page_view', url: `${ORIGIN}/?utm_source=news`, at: iso(T0 - 7200) },
    { type: 'page_view', url: `${ORIGIN}/shoes`, at: iso(T0 - 7200 + 600) },
    { type: 'page_view', url: `${ORIGIN}/shoes`, at: iso(T0 - 7200 + 600 + 1801) }, // new session
  ];
  const r = await collect({ key: site.key, visitor, events });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.accepted, 3);
  assert.equal(r.json.visitor, visitor);
  assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
  // 29 minutes later: same session
  const r2 = await collect({ key: site.key, visitor, events: [{ type: 'page_view', url: `${ORIGIN}/bag`, at: iso(T0 - 7200 + 600 + 1801 + 1740) }] });
  assert.equal(r2.json.accepted, 1);
  const rep = await srv.req('GET', `/api/v1/tracking/report?site=${site.key}&from=2026-03-01&to=2026-03-10`);
  assert.equal(rep.status, 200, JSON.stringify(rep.json));
  assert.equal(rep.json.sessions, 2);
  assert.equal(rep.json.page_views, 4);
  assert.equal(rep.json.visitors, 1);
  const shoes = rep.json.top_pages.find((p) => p.path === '/shoes');
  assert.equal(shoes.views, 2);
  assert.deepEqual(rep.json.sources.map((s) => s.source).sort(), ['campaign', 'direct']);
});

test('collect: keyword from a search engine referrer and from site search; funnel', async () => {
  const visitor = 'visitor-funnel-22';
  const r = await collect({
    key: site.key, visitor,
    events: [
      { type: 'page_view', url: `${ORIGIN}/trips/gabon`, referrer: 'https://www.google.fr/search?q=cheap+trip+to+Gabon', at: iso(T0 - 600) },
      { type: 'search', query: 'Libreville hotel', url: `${ORIGIN}/search?q=Libreville+hotel`, at: iso(T0 - 590) },
      { type: 'product_view', product: 'TRIP-GAB', url: `${ORIGIN}/trips/gabon`, at: iso(T0 - 580) },
      { type: 'add_to_cart', product: 'TRIP-GAB', at: iso(T0 - 570) },
      { type: 'checkout_started', at: iso(T0 - 560) },
    ],
  });
  assert.equal(r.json.accepted, 5, JSON.stringify(r.json));
  const other = await collect({ key: site.key, visitor: 'visitor-funnel-33', events: [{ type: 'product_view', product: 'TRIP-GAB', at: iso(T0 - 500) }] });
  assert.equal(other.json.accepted, 1);
  const rep = await srv.req('GET', `/api/v1/tracking/report?site=${site.key}&from=${iso(T0 - 3600)}&to=${iso(T0 + 1)}`);
  assert.deepEqual(rep.json.keywords.map((k) => k.keyword).sort(), ['cheap trip to gabon', 'libreville hotel']);
  assert.equal(rep.json.referrers[0].referrer, 'www.google.fr');
  assert.deepEqual(rep.json.funnel.map((f) => f.visitors), [2, 1, 1, 0]);
  assert.equal(rep.json.funnel[1].rate, 0.5);
  // the event log got every tracked event for the rules engine
  for (const type of ['page.viewed', 'search', 'product.viewed', 'cart.added', 'checkout.started']) {
    const ev = await srv.req('GET', `/api/v1/events?type=${type}&limit=500`);
    assert.equal(ev.status, 200, JSON.stringify(ev.json));
    assert.ok(ev.json.items.some((e) => e.data.visitor === visitor), type);
  }
});

test('identify: a signed token stitches the anonymous history onto the customer timeline', async () => {
  const c = await srv.req('POST', '/api/v1/customers', person());
  assert.equal(c.status, 201);
  const cid = c.json.id;
  const visitor = 'visitor-stitch-77';
  const before = await collect({ key: site.key, visitor, events: [
    { type: 'page_view', url: `${ORIGIN}/offers/spa`, at: iso(T0 - 300) },
    { type: 'product_view', product: 'SPA-1', at: iso(T0 - 290) },
  ] });
  assert.equal(before.json.accepted, 2);
  assert.equal(before.json.customer_id, undefined);
  // forged: a bare customer id, a wrong signature, an expired token
  for (const token of [String(cid), sign('not-the-secret', site.key, cid, T0 + 600), sign(site.secret, site.key, cid, T0 - 1)]) {
    const f = await collect({ key: site.key, visitor, events: [{ type: 'identify', token }] });
    assert.equal(f.status, 200);
    assert.equal(f.json.accepted, 0);
    assert.equal(f.json.rejected.length, 1);
    assert.match(f.json.rejected[0].reason, /not valid/);
    assert.equal(f.json.customer_id, undefined);
  }
  // the site's backend asks relatio for a token (or signs it itself)
  const t = await srv.req('POST', '/api/v1/tracking/identity-tokens', { site_key: site.key, customer_id: cid });
  assert.equal(t.status, 201);
  assert.equal(t.json.token, sign(site.secret, site.key, cid, T0 + 600));
  const id = await collect({ key: site.key, visitor, events: [{ type: 'identify', token: t.json.token, at: iso(T0 - 200) }, { type: 'page_view', url: `${ORIGIN}/account`, at: iso(T0 - 190) }] });
  assert.equal(id.json.accepted, 2, JSON.stringify(id.json));
  assert.equal(id.json.customer_id, cid);
  const web = await srv.req('GET', `/api/v1/customers/${cid}/web-events`);
  assert.equal(web.status, 200);
  assert.deepEqual(web.json.items.map((e) => e.type), ['page_view', 'identify', 'product_view', 'page_view']);
  const tl = await srv.req('GET', `/api/v1/customers/${cid}/timeline?kind=web`);
  assert.equal(tl.status, 200, JSON.stringify(tl.json));
  assert.equal(tl.json.items.length, 4);
  const ids = await srv.req('GET', `/api/v1/events?type=identified&customer_id=${cid}`);
  assert.equal(ids.json.items.length, 1);
  assert.equal(ids.json.items[0].data.events_joined, 2);
  const audit = await srv.req('GET', `/api/v1/customers/${cid}/audit`);
  assert.ok(audit.json.items.some((a) => a.action === 'stitch'));
  // later anonymous batches from the same browser land on the customer directly
  const later = await collect({ key: site.key, visitor, events: [{ type: 'purchase', amount_minor: 4990, currency: 'EUR', order: 'W-1', at: iso(T0 - 100) }] });
  assert.equal(later.json.customer_id, cid);
  const web2 = await srv.req('GET', `/api/v1/customers/${cid}/web-events`);
  assert.equal(web2.json.items[0].type, 'purchase');
  assert.equal(web2.json.items[0].amount_minor, 4990);
});

test('personalised content comes back with the collect answer', async () => {
  const c = await srv.req('POST', '/api/v1/customers', person());
  const cid = c.json.id;
  const banner = { title: 'Gabon -20%', text: 'Your trip, cheaper', url: '/trips/gabon' };
  const p = await srv.req('PUT', `/api/v1/customers/${cid}/personalization/banner`, { content: banner });
  assert.equal(p.status, 200, JSON.stringify(p.json));
  const exp = await srv.req('PUT', `/api/v1/customers/${cid}/personalization/survey`, { content: { q: 'old' }, expires_at: iso(T0 - 1) });
  assert.equal(exp.status, 200);
  const bad = await srv.req('PUT', `/api/v1/customers/${cid}/personalization/Bad-Slot`, { content: banner });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'slot');
  const visitor = 'visitor-content-9';
  const token = sign(site.secret, site.key, cid, T0 + 60);
  const r = await collect({ key: site.key, visitor, events: [{ type: 'identify', token }] });
  assert.deepEqual(r.json.content, { banner });
  const del = await srv.req('DELETE', `/api/v1/customers/${cid}/personalization/banner`);
  assert.equal(del.status, 204);
  const r2 = await collect({ key: site.key, visitor, events: [{ type: 'page_view', url: `${ORIGIN}/` }] });
  assert.deepEqual(r2.json.content, {});
});

test('bad input: unknown key, foreign origin, malformed and oversize batches change nothing', async () => {
  const before = await srv.req('GET', `/api/v1/tracking/report?site=${site.key}&from=2026-01-01`);
  const ev = [{ type: 'page_view', url: `${ORIGIN}/x` }];
  let r = await collect({ key: 'nope', events: ev });
  assert.equal(r.status, 404);
  assert.equal(r.json.errors[0].field, 'key');
  r = await collect({ key: site.key, events: ev }, { origin: 'https://evil.example' });
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  r = await collect(undefined, { raw: '{"key":' });
  assert.equal(r.status, 415); // no JSON content type with a raw body
  r = await srv.req('POST', '/t/collect', undefined, { auth: null, raw: '{"key": [', headers: { 'content-type': 'application/json', 'user-agent': UA } });
  assert.equal(r.status, 400);
  r = await collect({ key: site.key, events: [{ type: 'page_view' }] });
  assert.equal(r.status, 422);
  assert.equal(r.json.errors[0].field, 'events[0].url');
  r = await collect({ key: site.key, events: [{ type: 'teleport', url: 'x' }] });
  assert.equal(r.status, 422);
  assert.equal(r.json.errors[0].field, 'events[0].type');
  r = await collect({ key: site.key, visitor: 'bad id!', events: ev });
  assert.equal(r.status, 422);
  assert.equal(r.json.errors[0].field, 'visitor');
  r = await collect({ key: site.key, events: Array.from({ length: 101 }, () => ev[0]) });
  assert.equal(r.status, 413);
  r = await collect({ key: site.key, events: [{ type: 'page_view', url: `${ORIGIN}/${'a'.repeat(2000)}`, title: 'x'.repeat(300) }], pad: 'y'.repeat(70000) });
  assert.equal(r.status, 413);
  r = await collect({ key: site.key, events: [] });
  assert.equal(r.status, 422);
  const after = await srv.req('GET', `/api/v1/tracking/report?site=${site.key}&from=2026-01-01`);
  assert.equal(after.json.events, before.json.events);
});

test('bots are not tracked; consent-required sites need the consent flag; refusals are honoured', async () => {
  const s = await srv.req('POST', '/api/v1/tracking/sites', { name: 'Strict', origins: [ORIGIN], require_consent: true });
  const ev = [{ type: 'page_view', url: `${ORIGIN}/` }];
  let r = await collect({ key: s.json.key, visitor: 'visitor-bot-1', events: ev }, { ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
  assert.equal(r.status, 200);
  assert.deepEqual([r.json.accepted, r.json.ignored, r.json.reason], [0, 1, 'bot']);
  r = await collect({ key: s.json.key, visitor: 'visitor-consent-1', events: ev });
  assert.deepEqual([r.json.accepted, r.json.reason], [0, 'consent']);
  r = await collect({ key: s.json.key, visitor: 'visitor-consent-1', consent: true, events: ev });
  assert.equal(r.json.accepted, 1);
  const rep = await srv.req('GET', `/api/v1/tracking/report?site=${s.json.key}&from=2026-01-01`);
  assert.equal(rep.json.events, 1);
  // a customer who withdrew tracking consent is no longer tracked
  const c = await srv.req('POST', '/api/v1/customers', person());
  const w = await srv.req('POST', `/api/v1/customers/${c.json.id}/consents`, { channel: 'tracking', purpose: 'analytics', granted: false, legal_basis: 'consent', source: 'web' });
  assert.equal(w.status, 201, JSON.stringify(w.json));
  const token = sign(s.json.secret, s.json.key, c.json.id, T0 + 60);
  r = await collect({ key: s.json.key, visitor: 'visitor-consent-2', consent: true, events: [{ type: 'identify', token }] });
  assert.equal(r.json.customer_id, c.json.id);
  r = await collect({ key: s.json.key, visitor: 'visitor-consent-2', consent: true, events: ev });
  assert.deepEqual([r.json.accepted, r.json.reason], [0, 'consent']);
});

test('CORS preflight answers registered origins only', async () => {
  const ok = await fetch(`${srv.base}/t/collect`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
  assert.match(ok.headers.get('access-control-allow-headers'), /Content-Type/);
  const no = await fetch(`${srv.base}/t/collect`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
  assert.equal(no.status, 204);
  assert.equal(no.headers.get('access-control-allow-origin'), null);
});
