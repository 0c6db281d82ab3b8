// Interactions, orders and aggregates, consents, contracts, the merged
// timeline, and the meta routes (health, metrics, OpenAPI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: '2026-07-01T12:00:00Z' } }); });
after(async () => { await srv.stop(); });

const newCustomer = async (extra) => (await srv.req('POST', '/api/v1/customers', person(extra))).json;

test('interactions on every channel, a refusal and an interest', async () => {
  const c = await newCustomer();
  for (const channel of ['web', 'email', 'phone', 'sms', 'mail', 'store', 'call_center', 'chat', 'social']) {
    const r = await srv.req('POST', '/api/v1/interactions', { customer_id: c.id, channel, direction: 'inbound', subject: `via ${channel}` });
    assert.equal(r.status, 201, channel);
  }
  const refused = await srv.req('POST', '/api/v1/interactions', { customer_id: c.id, channel: 'call_center', direction: 'inbound', kind: 'call', outcome: 'offer_refused', offer: 'Assurance+' });
  assert.equal(refused.status, 201);
  assert.equal(refused.json.user_id, 1);
  const noOffer = await srv.req('POST', '/api/v1/interactions', { customer_id: c.id, channel: 'phone', direction: 'inbound', outcome: 'offer_refused' });
  assert.equal(noOffer.status, 422);
  assert.equal(noOffer.json.errors[0].field, 'offer');
  const interest = await srv.req('POST', '/api/v1/interactions', { customer_id: c.id, channel: 'store', direction: 'inbound', kind: 'interest', offer: 'Box Beauté' });
  assert.equal(interest.status, 201);
  assert.ok((await srv.req('GET', `/api/v1/customers/${c.id}`)).json.interests.includes('Box Beauté'));
  const list = await srv.req('GET', `/api/v1/interactions?customer_id=${c.id}&channel=store`);
  assert.equal(list.json.items.length, 2);
  for (const [body, field] of [[{ customer_id: 999999, channel: 'web', direction: 'inbound' }, 'customer_id'], [{ customer_id: c.id, channel: 'pigeon', direction: 'inbound' }, 'channel'], [{ customer_id: c.id, channel: 'web' }, 'direction'], [{ customer_id: c.id, channel: 'web', direction: 'inbound', at: '2026-13-01' }, 'at']]) {
    const r = await srv.req('POST', '/api/v1/interactions', body);
    assert.ok([404, 422].includes(r.status), JSON.stringify(body));
    assert.equal(r.json.errors[0].field, field);
  }
});

test('orders update the purchase aggregates and the lifecycle; refunds lower revenue', async () => {
  const c = await newCustomer();
  const p = await srv.req('POST', '/api/v1/products', { sku: 'PARF-01', name: 'Eau de parfum', category: 'perfume', price_minor: 5900, margin_minor: 2500 });
  assert.equal(p.status, 201);
  assert.equal((await srv.req('POST', '/api/v1/products', { sku: 'PARF-01', name: 'dup' })).status, 409);
  const o1 = await srv.req('POST', '/api/v1/orders', { customer_id: c.id, external_id: 'INV-1', ordered_at: '2026-06-01T10:00:00Z', lines: [{ sku: 'PARF-01', quantity: 2, unit_price_minor: 5900 }] });
  assert.equal(o1.status, 201, JSON.stringify(o1.json));
  assert.equal(o1.json.total_minor, 11800);
  assert.equal(o1.json.lines[0].product_id, p.json.id);
  let g = (await srv.req('GET', `/api/v1/customers/${c.id}`)).json;
  assert.equal(g.stats.orders, 1);
  assert.equal(g.stats.revenue_minor, 11800);
  assert.equal(g.lifecycle, 'new');
  await srv.req('POST', '/api/v1/orders', { customer_id: c.id, external_id: 'INV-0', ordered_at: '2025-01-10T10:00:00Z', total_minor: 3000 });
  g = (await srv.req('GET', `/api/v1/customers/${c.id}`)).json;
  assert.equal(g.lifecycle, 'active');
  assert.equal(g.stats.first_order_at, '2025-01-10T10:00:00Z');
  const refund = await srv.req('POST', '/api/v1/orders', { customer_id: c.id, external_id: 'CINV-1', kind: 'refund', total_minor: 5900, ordered_at: '2026-06-05T10:00:00Z' });
  assert.equal(refund.json.total_minor, -5900);
  g = (await srv.req('GET', `/api/v1/customers/${c.id}`)).json;
  assert.equal(g.stats.revenue_minor, 11800 + 3000 - 5900);
  assert.equal(g.stats.orders, 2, 'a refund is not a transaction');
  const cancel = await srv.req('PATCH', `/api/v1/orders/${o1.json.id}`, { status: 'cancelled' });
  assert.equal(cancel.status, 200);
  g = (await srv.req('GET', `/api/v1/customers/${c.id}`)).json;
  assert.equal(g.stats.orders, 1);
  assert.equal(g.stats.revenue_minor, 3000 - 5900);
  assert.equal(g.lifecycle, 'inactive', 'last transaction over a year ago');
  assert.equal((await srv.req('PATCH', `/api/v1/orders/${o1.json.id}`, { status: 'completed' })).status, 409);
  assert.equal((await srv.req('POST', '/api/v1/orders', { customer_id: c.id, external_id: 'INV-1', total_minor: 1 })).status, 409);
  assert.equal((await srv.req('POST', '/api/v1/orders', { customer_id: c.id, lines: [{ quantity: 1.5, unit_price_minor: 1 }] })).status, 422);
  assert.equal((await srv.req('POST', '/api/v1/orders', { customer_id: c.id })).status, 422);
  const list = await srv.req('GET', `/api/v1/customers/${c.id}/orders`);
  assert.equal(list.json.items.length, 3);
});

test('an order without a known customer creates a guest', async () => {
  const r = await srv.req('POST', '/api/v1/orders', { customer_external_id: 'WEB-777', total_minor: 1999, ordered_at: '2026-06-30T09:00:00Z' });
  assert.equal(r.status, 201);
  const g = (await srv.req('GET', `/api/v1/customers/${r.json.customer_id}`)).json;
  assert.equal(g.kind, 'guest');
  assert.equal(g.external_id, 'WEB-777');
  const again = await srv.req('POST', '/api/v1/orders', { customer_external_id: 'WEB-777', total_minor: 500 });
  assert.equal(again.json.customer_id, r.json.customer_id);
});

test('consent ledger is append-only; the latest decision is the current state', async () => {
  const c = await newCustomer();
  const add = (granted, at) => srv.req('POST', `/api/v1/customers/${c.id}/consents`, { channel: 'email', purpose: 'marketing', granted, source: 'web form', proof: 'checkbox v3', at });
  assert.equal((await add(true, '2026-01-01T00:00:00Z')).status, 201);
  assert.equal((await add(false, '2026-03-01T00:00:00Z')).status, 201);
  const g = (await srv.req('GET', `/api/v1/customers/${c.id}`)).json;
  assert.equal(g.consents.length, 1);
  assert.equal(g.consents[0].granted, false);
  const h = await srv.req('GET', `/api/v1/customers/${c.id}/consents`);
  assert.deepEqual(h.json.items.map((x) => x.granted), [true, false]);
  const bad = await srv.req('POST', `/api/v1/customers/${c.id}/consents`, { channel: 'fax', purpose: 'x', granted: true });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'channel');
  assert.equal((await srv.req('POST', `/api/v1/customers/${c.id}/consents`, { channel: 'sms', purpose: 'marketing' })).status, 422);
});

test('contracts: subscribe and cancel with a reason; all cancelled means former', async () => {
  const c = await newCustomer();
  const k = await srv.req('POST', '/api/v1/contracts', { customer_id: c.id, offer: 'Box Beauté', start_date: '2026-01-01' });
  assert.equal(k.status, 201);
  assert.equal(k.json.status, 'active');
  assert.equal((await srv.req('POST', '/api/v1/contracts', { customer_id: c.id, offer: 'x', start_date: '2026-01-01', end_date: '2025-01-01' })).status, 422);
  const x = await srv.req('POST', `/api/v1/contracts/${k.json.id}/cancel`, { reason: 'price' });
  assert.equal(x.status, 200);
  assert.equal(x.json.status, 'cancelled');
  assert.equal(x.json.cancel_reason, 'price');
  assert.equal((await srv.req('POST', `/api/v1/contracts/${k.json.id}/cancel`, {})).status, 409);
  assert.equal((await srv.req('GET', `/api/v1/customers/${c.id}`)).json.lifecycle, 'former');
});

test('the timeline merges every kind, newest first, with filters and a cursor', async () => {
  const c = await newCustomer();
  await srv.req('POST', '/api/v1/interactions', { customer_id: c.id, channel: 'email', direction: 'outbound', subject: 'Bienvenue', at: '2026-01-02T10:00:00Z' });
  await srv.req('POST', '/api/v1/orders', { customer_id: c.id, total_minor: 4200, ordered_at: '2026-02-03T10:00:00Z', channel: 'web' });
  await srv.req('POST', `/api/v1/customers/${c.id}/consents`, { channel: 'sms', purpose: 'marketing', granted: true, at: '2026-03-04T10:00:00Z' });
  await srv.req('POST', '/api/v1/interactions', { customer_id: c.id, channel: 'store', direction: 'inbound', subject: 'Visite', at: '2026-04-05T10:00:00Z' });
  const t = await srv.req('GET', `/api/v1/customers/${c.id}/timeline`);
  assert.equal(t.status, 200);
  assert.deepEqual(t.json.items.map((i) => i.kind), ['interaction', 'consent', 'order', 'interaction']);
  assert.equal(t.json.items[2].amount_minor, 4200);
  const ats = t.json.items.map((i) => i.at);
  assert.deepEqual(ats, [...ats].sort().reverse());
  const p1 = await srv.req('GET', `/api/v1/customers/${c.id}/timeline?limit=2`);
  assert.equal(p1.json.items.length, 2);
  const p2 = await srv.req('GET', `/api/v1/customers/${c.id}/timeline?limit=2&cursor=${encodeURIComponent(p1.json.next_cursor)}`);
  assert.deepEqual([...p1.json.items, ...p2.json.items], t.json.items);
  assert.equal(p2.json.next_cursor, null);
  const store = await srv.req('GET', `/api/v1/customers/${c.id}/timeline?channel=store`);
  assert.deepEqual(store.json.items.map((i) => i.title), ['Visite']);
  const orders = await srv.req('GET', `/api/v1/customers/${c.id}/timeline?kind=order`);
  assert.equal(orders.json.items.length, 1);
  assert.equal((await srv.req('GET', `/api/v1/customers/${c.id}/timeline?cursor=nonsense`)).status, 422);
  assert.equal((await srv.req('GET', `/api/v1/customers/${c.id}/timeline?channel=fax`)).status, 422);
  assert.equal((await srv.req('GET', '/api/v1/customers/999999/timeline')).status, 404);
});

test('health, metrics and the OpenAPI document follow the routes', async () => {
  assert.equal((await srv.req('GET', '/healthz', undefined, { auth: null })).json.status, 'ok');
  const m = await fetch(`${srv.base}/metrics`);
  const text = await m.text();
  assert.match(text, /relatio_http_requests_total\{code="2xx"\} \d+/);
  assert.match(text, /relatio_http_request_duration_seconds_bucket/);
  const doc = (await srv.req('GET', '/api/v1/openapi.json', undefined, { auth: null })).json;
  assert.equal(doc.openapi, '3.1.0');
  for (const p of ['/api/v1/customers', '/api/v1/customers/{id}', '/api/v1/customers/{id}/timeline', '/api/v1/interactions', '/api/v1/orders', '/api/v1/auth/login']) assert.ok(doc.paths[p], p);
  const create = doc.paths['/api/v1/customers'].post;
  assert.ok(create.requestBody.content['application/json'].schema.properties.email);
  assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['kind']);
  const r = await fetch(`${srv.base}/api/v1/customers/1`, { headers: { authorization: `Bearer ${srv.token}` } });
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('cache-control'), 'no-store');
});
