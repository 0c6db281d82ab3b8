// Bad input over every route family: each request gets a problem+json
// answer with the expected status (and field), and the database is left
// exactly as it was (compared by a full SQL dump).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { startServer, person } from './harness.mjs';

let srv, cust, order, contract;
before(async () => {
  srv = await startServer();
  cust = (await srv.req('POST', '/api/v1/customers', person())).json;
  order = (await srv.req('POST', '/api/v1/orders', { customer_id: cust.id, external_id: 'O-1', total_minor: 1000 })).json;
  contract = (await srv.req('POST', '/api/v1/contracts', { customer_id: cust.id, offer: 'Box', start_date: '2026-01-01' })).json;
  await srv.req('POST', '/api/v1/products', { sku: 'S-1', name: 'Savon' });
});
after(async () => { await srv.stop(); });

// sessions and login attempts change legitimately on reads, and the event
// consumers (rules, segments) move their cursors in the background;
// everything else must not
const dump = () => execFileSync('sqlite3', [srv.db, '.dump'], { maxBuffer: 1 << 26 }).toString()
  .split('\n').filter((l) => !/INSERT INTO (sessions|login_attempts|event_cursors)/.test(l)).join('\n');

const J = { 'content-type': 'application/json' };
const cases = () => [
  // [method, url, body, expected status, expected field, options]
  ['POST', '/api/v1/interactions', { customer_id: cust.id, channel: 'web', direction: 'sideways' }, 422, 'direction'],
  ['POST', '/api/v1/interactions', { customer_id: cust.id, channel: 'web', direction: 'inbound', body: 'x'.repeat(20001) }, 422, 'body'],
  ['POST', '/api/v1/interactions', { customer_id: '1', channel: 'web', direction: 'inbound' }, 422, 'customer_id'],
  ['POST', '/api/v1/interactions', { customer_id: -4, channel: 'web', direction: 'inbound' }, 422, 'customer_id'],
  ['POST', '/api/v1/interactions', { customer_id: cust.id, channel: 'web', direction: 'inbound', kind: 'interest' }, 422, 'offer'],
  ['POST', '/api/v1/orders', { customer_id: cust.id, total_minor: 1e16 }, 422, 'total_minor'],
  ['POST', '/api/v1/orders', { customer_id: cust.id, total_minor: 100, currency: 'euro' }, 422, 'currency'],
  ['POST', '/api/v1/orders', { customer_id: cust.id, total_minor: 100, ordered_at: '2026-02-30' }, 422, 'ordered_at'],
  ['POST', '/api/v1/orders', { customer_id: cust.id, lines: [{ quantity: 0, unit_price_minor: 5 }] }, 422, 'lines[0].quantity'],
  ['POST', '/api/v1/orders', { customer_id: cust.id, lines: [{ quantity: 1 }] }, 422, 'lines[0].unit_price_minor'],
  ['POST', '/api/v1/orders', { customer_id: cust.id, lines: [{ quantity: 1, unit_price_minor: 5, product_id: 99999 }] }, 422, 'lines[0].product_id'],
  ['POST', '/api/v1/orders', { customer_id: 999999, total_minor: 100 }, 404, 'customer_id'],
  ['POST', '/api/v1/orders', { customer_id: cust.id, external_id: 'O-1', total_minor: 5 }, 409, 'external_id'],
  ['POST', '/api/v1/orders', { customer_id: cust.id, email: 'bad', total_minor: 5 }, 422, 'email'],
  ['PATCH', `/api/v1/orders/${order?.id}`, { status: 'lost' }, 422, 'status'],
  ['PATCH', `/api/v1/orders/${order?.id}`, { total_minor: 1 }, 422, 'total_minor'],
  ['PATCH', '/api/v1/orders/999999', { status: 'paid' }, 404, 'id'],
  ['POST', '/api/v1/products', { sku: 'S-1', name: 'again' }, 409, 'sku'],
  ['POST', '/api/v1/products', { sku: 'S-2' }, 422, 'name'],
  ['POST', '/api/v1/products', { sku: 'S-2', name: 'x', tier: -1 }, 422, 'tier'],
  ['POST', '/api/v1/contracts', { customer_id: cust.id, offer: 'Box', start_date: '01/01/2026' }, 422, 'start_date'],
  ['POST', `/api/v1/contracts/${contract?.id}/cancel`, { reason: 42 }, 422, 'reason'],
  ['POST', '/api/v1/contracts/999999/cancel', {}, 404, 'id'],
  ['POST', `/api/v1/customers/${cust.id}/consents`, { channel: 'email', purpose: 'marketing', granted: 'yes' }, 422, 'granted'],
  ['POST', `/api/v1/customers/${cust.id}/consents`, { channel: 'email', purpose: 'marketing', granted: true, legal_basis: 'whim' }, 422, 'legal_basis'],
  ['POST', '/api/v1/customers/999999/consents', { channel: 'email', purpose: 'marketing', granted: true }, 404, 'customer_id'],
  ['POST', `/api/v1/customers/${cust.id}/flags`, { reason: 'no flag' }, 422, 'flag'],
  ['POST', `/api/v1/customers/${cust.id}/relations`, { related_id: 'x', kind: 'household' }, 422, 'related_id'],
  ['PATCH', `/api/v1/customers/${cust.id}`, { kind: 'alien' }, 422, 'kind'],
  ['PATCH', `/api/v1/customers/${cust.id}`, { emails: [{ email: 'ok@example.com', extra: 1 }] }, 422, 'emails[0].extra'],
  ['PATCH', `/api/v1/customers/${cust.id}`, { custom: { big: 'x'.repeat(20000) } }, 422, 'custom'],
  ['POST', '/api/v1/users', { email: 'u@example.com', role: 'admin', password: 'abcdefgh1', is_root: true }, 422, 'is_root'],
  ['PATCH', '/api/v1/users/1', { email: 'other@example.com' }, 422, 'email'],
  ['PATCH', '/api/v1/users/1', { role: 'system' }, 422, 'role'],
  ['POST', '/api/v1/tokens', { email: 'ghost@example.com' }, 404, 'email'],
  ['GET', '/api/v1/orders?limit=100000', undefined, 400, 'limit'],
  ['GET', '/api/v1/interactions?customer_id=abc', undefined, 400, 'customer_id'],
  ['GET', `/api/v1/customers/${cust.id}/timeline?limit=-1`, undefined, 400, 'limit'],
  ['GET', '/api/v1/products?q=' + 'x'.repeat(200), undefined, 400, 'q'],
  ['GET', '/api/v1/customers?q=%FF%FE', undefined, 422, 'q'],
  ['GET', '/api/v1/customers/1%27%20OR%201=1', undefined, 404, 'id'],
  ['POST', '/api/v1/interactions', undefined, 415, 'Content-Type', { raw: '<xml/>', headers: { 'content-type': 'text/xml' } }],
  ['POST', '/api/v1/orders', undefined, 400, 'body', { raw: '{"customer_id": 1, "total_minor": 1', headers: J }],
  ['POST', '/api/v1/orders', undefined, 400, 'body', { raw: '"just a string"', headers: J }],
  ['POST', '/api/v1/orders', undefined, 413, 'body', { raw: '{"x":"' + 'y'.repeat(1100000) + '"}', headers: J }],
  ['POST', '/api/v1/customers', undefined, 400, 'body', { raw: Buffer.from([0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), headers: J }],
  ['POST', '/api/v1/customers', undefined, 400, 'body', { raw: '{"kind":"person","last_name":"a\\u0000b"}', headers: J }],
  ['PUT', '/api/v1/customers/1', { last_name: 'x' }, 405, null],
];

test('every bad request is refused with a problem and changes nothing', async () => {
  const before = dump();
  for (const [method, url, body, status, field, opts = {}] of cases()) {
    const r = await srv.req(method, url, body, opts);
    const what = `${method} ${url} ${JSON.stringify(body ?? opts.raw?.toString().slice(0, 60))}`;
    assert.equal(r.status, status, `${what} → ${JSON.stringify(r.json)}`);
    assert.equal(r.headers.get('content-type'), 'application/problem+json', what);
    assert.equal(r.json.status, status, what);
    assert.ok(r.json.detail, what);
    if (field) assert.equal(r.json.errors?.[0]?.field, field, `${what} → ${JSON.stringify(r.json)}`);
  }
  assert.equal(dump(), before);
});

function rawGet(port, path) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    sock.on('data', (d) => { data += d; });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}

test('path traversal never reaches the file system', async () => {
  for (const p of ['/../../../../etc/passwd', '/api/v1/../../etc/passwd', '/assets/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd']) {
    const res = await rawGet(srv.port, p);
    assert.ok(!res.includes('root:x:0:0'), p);
    assert.match(res, /^HTTP\/1\.1 (400|404)/, `${p}: ${res.slice(0, 80)}`);
  }
});
