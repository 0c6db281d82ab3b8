// Sign-in, sessions with CSRF, API tokens, throttling, roles on routes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, userWithRole, person } from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

async function login(email, password) {
  const r = await fetch(`${srv.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return { status: r.status, json: await r.json(), cookie: r.headers.get('set-cookie') };
}

test('login opens a session with an HttpOnly SameSite cookie and a CSRF token', async () => {
  const r = await login('admin@example.com', 'secret-pass');
  assert.equal(r.status, 200);
  assert.equal(r.json.user.email, 'admin@example.com');
  assert.equal(r.json.user.role, 'admin');
  assert.match(r.json.csrf_token, /^[0-9a-f]{64}$/);
  assert.match(r.cookie, /relatio_session=[0-9a-f]{64}/);
  assert.match(r.cookie, /HttpOnly/);
  assert.match(r.cookie, /SameSite=Strict/);
  const cookie = r.cookie.split(';')[0];
  const me = await srv.req('GET', '/api/v1/auth/me', undefined, { auth: null, headers: { cookie } });
  assert.equal(me.status, 200);
  assert.equal(me.json.csrf_token, r.json.csrf_token);
  // a write with the cookie needs the CSRF token
  const noCsrf = await srv.req('POST', '/api/v1/customers', person(), { auth: null, headers: { cookie } });
  assert.equal(noCsrf.status, 403);
  assert.equal(noCsrf.json.errors[0].field, 'X-CSRF-Token');
  const badCsrf = await srv.req('POST', '/api/v1/customers', person(), { auth: null, headers: { cookie, 'x-csrf-token': 'a'.repeat(64) } });
  assert.equal(badCsrf.status, 403);
  const ok = await srv.req('POST', '/api/v1/customers', person(), { auth: null, headers: { cookie, 'x-csrf-token': r.json.csrf_token } });
  assert.equal(ok.status, 201);
  // logout ends the session
  const out = await srv.req('POST', '/api/v1/auth/logout', undefined, { auth: null, headers: { cookie, 'x-csrf-token': r.json.csrf_token } });
  assert.equal(out.status, 204);
  const after = await srv.req('GET', '/api/v1/auth/me', undefined, { auth: null, headers: { cookie } });
  assert.equal(after.status, 401);
});

test('wrong password is 401 naming the field; five failures lock the address (429)', async () => {
  const u = await userWithRole(srv, 'sales');
  for (let i = 0; i < 5; i++) {
    const r = await login(u.email, 'wrong-password');
    assert.equal(r.status, 401);
    assert.equal(r.json.errors[0].field, 'password');
  }
  const locked = await login(u.email, 'pass-word-1');
  assert.equal(locked.status, 429);
  assert.equal(locked.json.type, '/problems/throttled');
});

test('unknown e-mail and bad input to login', async () => {
  assert.equal((await login('nobody@example.com', 'whatever-1')).status, 401);
  assert.equal((await login('not-an-email', 'whatever-1')).status, 422);
  const extra = await srv.req('POST', '/api/v1/auth/login', { email: 'a@b.fr', password: 'x', admin: true }, { auth: null });
  assert.equal(extra.status, 422);
  assert.equal(extra.json.errors[0].field, 'admin');
});

test('no credentials is 401; a bad or revoked token is 401', async () => {
  assert.equal((await srv.req('GET', '/api/v1/customers', undefined, { auth: null })).status, 401);
  assert.equal((await srv.req('GET', '/api/v1/customers', undefined, { auth: 'f'.repeat(64) })).status, 401);
  const u = await userWithRole(srv, 'support');
  const t = await srv.req('POST', '/api/v1/tokens', { name: 'temp' }, { auth: u.token });
  assert.equal(t.status, 201);
  assert.equal((await srv.req('GET', '/api/v1/customers', undefined, { auth: t.json.token })).status, 200);
  assert.equal((await srv.req('DELETE', `/api/v1/tokens/${t.json.id}`)).status, 204);
  assert.equal((await srv.req('GET', '/api/v1/customers', undefined, { auth: t.json.token })).status, 401);
});

test('roles are checked on every route', async () => {
  const analyst = await userWithRole(srv, 'analyst');
  const sales = await userWithRole(srv, 'sales');
  assert.equal((await srv.req('GET', '/api/v1/customers', undefined, { auth: analyst.token })).status, 200);
  const w = await srv.req('POST', '/api/v1/customers', person(), { auth: analyst.token });
  assert.equal(w.status, 403);
  assert.equal(w.json.type, '/problems/forbidden');
  assert.equal((await srv.req('GET', '/api/v1/users', undefined, { auth: sales.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/users', { email: 'x@y.fr', role: 'admin', password: 'abcdefgh1' }, { auth: sales.token })).status, 403);
  assert.equal((await srv.req('GET', '/api/v1/audit', undefined, { auth: sales.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/customers', person(), { auth: sales.token })).status, 201);
  // a token for someone else is an admin's act
  assert.equal((await srv.req('POST', '/api/v1/tokens', { email: analyst.email }, { auth: sales.token })).status, 403);
  // deactivating a user ends its access
  assert.equal((await srv.req('PATCH', `/api/v1/users/${sales.id}`, { active: false })).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/customers', undefined, { auth: sales.token })).status, 401);
});

test('users: validation and duplicates', async () => {
  const dup = await srv.req('POST', '/api/v1/users', { email: 'admin@example.com', role: 'admin', password: 'abcdefgh1' });
  assert.equal(dup.status, 409);
  const short = await srv.req('POST', '/api/v1/users', { email: 'new@example.com', role: 'admin', password: 'short' });
  assert.equal(short.status, 422);
  assert.equal(short.json.errors[0].field, 'password');
  const role = await srv.req('POST', '/api/v1/users', { email: 'new@example.com', role: 'king', password: 'abcdefgh1' });
  assert.equal(role.status, 422);
  assert.equal(role.json.errors[0].field, 'role');
  const list = await srv.req('GET', '/api/v1/users');
  assert.ok(!list.json.items.some((u) => u.email === 'new@example.com'));
  assert.ok(!JSON.stringify(list.json).includes('password'));
});
