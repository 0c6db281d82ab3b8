// The role × route matrix: every route of the OpenAPI document that needs a
// session refuses a request without credentials (401), and refuses every
// role it does not list in x-roles (403) before looking at the request; a
// role it lists is never refused for its role. Drawn from the route table
// itself, so a new route is covered the day it is added.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, userWithRole } from './harness.mjs';

let srv;
const tokens = {};
const ROLES = ['analyst', 'support', 'marketing', 'sales', 'manager', 'admin'];
before(async () => {
  srv = await startServer({ env: { RELATIO_SLA_SWEEP_SECONDS: '0', RELATIO_SEGMENT_REFRESH: '0' } });
  for (const role of ROLES) tokens[role] = role === 'admin' ? srv.token : (await userWithRole(srv, role)).token;
});
after(async () => { await srv.stop(); });

const concrete = (path) => path.replace(/\{[^}]+\}/g, '999999');

/** A server-sent-events answer never ends: its status and, for an error, its problem. */
async function streamStatus(url, auth) {
  const ctl = new AbortController();
  const r = await fetch(srv.base + url, { headers: { authorization: `Bearer ${auth}` }, signal: ctl.signal });
  const json = r.status === 200 ? null : await r.json();
  ctl.abort();
  return { status: r.status, json };
}

test('every protected route: 401 without credentials, 403 for each role it does not allow', async () => {
  const doc = (await srv.req('GET', '/api/v1/openapi.json', undefined, { auth: null })).json;
  let checked = 0, refusals = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/')) continue; // the portal and the tracker have their own credentials
    for (const [method, op] of Object.entries(item)) {
      if (!op.security) continue;
      const url = concrete(path);
      const m = method.toUpperCase();
      const body = m === 'GET' || m === 'DELETE' ? undefined : {};
      const anon = await srv.req(m, url, body, { auth: null });
      assert.equal(anon.status, 401, `${m} ${path} without credentials`);
      assert.ok(Array.isArray(op['x-roles']) && op['x-roles'].length, `${m} ${path} lists its roles`);
      for (const role of ROLES) {
        const r = /\/stream$/.test(path) ? await streamStatus(url, tokens[role])
          : await srv.req(m, url, body, { auth: tokens[role] });
        const allowed = op['x-roles'].includes(role);
        if (!allowed) {
          assert.equal(r.status, 403, `${m} ${path} as ${role}: ${JSON.stringify(r.json)}`);
          assert.match(r.json.detail, /may not/);
          refusals++;
        } else {
          assert.notEqual(r.status, 401, `${m} ${path} as ${role}`);
          if (r.status === 403) assert.doesNotMatch(r.json.detail, /the role '.*' may not do this/, `${m} ${path} as ${role}`);
        }
        checked++;
      }
    }
  }
  assert.ok(checked > 600, `${checked} role × route pairs checked`);
  assert.ok(refusals > 100, `${refusals} refusals`);
});

test('a revoked token stops working; a bad token is refused', async () => {
  const t = await srv.req('POST', '/api/v1/tokens', { email: 'admin@example.com', name: 'to revoke' });
  assert.equal(t.status, 201);
  assert.equal((await srv.req('GET', '/api/v1/customers', undefined, { auth: t.json.token })).status, 200);
  assert.equal((await srv.req("DELETE", `/api/v1/tokens/${t.json.id}`)).status, 204);
  // the token cache holds a token for at most 10 s
  let status = 200;
  for (let i = 0; i < 120 && status === 200; i++) {
    status = (await srv.req('GET', '/api/v1/customers', undefined, { auth: t.json.token })).status;
    if (status === 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 401);
  const bad = await srv.req('GET', '/api/v1/customers', undefined, { auth: 'f'.repeat(64) });
  assert.equal(bad.status, 401);
});
