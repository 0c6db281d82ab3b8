// Record visibility per role: with sales on "team", a salesperson sees the
// customers of the team and the ones owned, in lists, searches, the 360°
// view, the timeline and every customer sub-route; the others answer 404 as
// if they did not exist, and cannot be changed. "own" narrows to the owned
// ones; admins always see everything; only admins change the setting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person, userWithRole } from './harness.mjs';

let srv, ana, bob, lyon, paris, mine;
before(async () => {
  srv = await startServer();
  ana = await userWithRole(srv, 'sales');
  bob = await userWithRole(srv, 'sales');
  assert.equal((await srv.req('PATCH', `/api/v1/users/${ana.id}`, { team: 'Lyon' })).status, 200);
  assert.equal((await srv.req('PATCH', `/api/v1/users/${bob.id}`, { team: 'Paris' })).status, 200);
  const mk = async (extra) => (await srv.req('POST', '/api/v1/customers', person({ last_name: 'Visibilite', ...extra }))).json;
  lyon = await mk({ first_name: 'Lea', team: 'Lyon' });
  paris = await mk({ first_name: 'Paul', team: 'Paris' });
  mine = await mk({ first_name: 'Mona', team: 'Paris', owner_id: ana.id });
});
after(async () => { await srv.stop(); });

const ids = (r) => r.json.items.map((c) => c.id).sort((a, b) => a - b);
const as = (u) => ({ auth: u.token });

test('by default every role sees every customer', async () => {
  const v = await srv.req('GET', '/api/v1/visibility');
  assert.equal(v.status, 200);
  assert.equal(v.json.sales, 'all');
  const r = await srv.req('GET', '/api/v1/customers?q=visibilite', undefined, as(ana));
  assert.deepEqual(ids(r), [lyon.id, paris.id, mine.id].sort((a, b) => a - b));
});

test('team: the team\'s customers and the owned ones, nothing else', async () => {
  const set = await srv.req('PUT', '/api/v1/visibility', { sales: 'team' });
  assert.equal(set.status, 200, JSON.stringify(set.json));
  assert.equal(set.json.sales, 'team');
  const list = await srv.req('GET', '/api/v1/customers?q=visibilite', undefined, as(ana));
  assert.deepEqual(ids(list), [lyon.id, mine.id].sort((a, b) => a - b));
  const all = await srv.req('GET', '/api/v1/customers?limit=500', undefined, as(ana));
  assert.ok(!all.json.items.some((c) => c.id === paris.id), 'hidden in the plain list');
  assert.equal((await srv.req('GET', `/api/v1/customers/${lyon.id}`, undefined, as(ana))).status, 200);
  assert.equal((await srv.req('GET', `/api/v1/customers/${mine.id}`, undefined, as(ana))).status, 200);
  for (const sub of ['', '/timeline', '/consents', '/orders', '/loyalty', '/recommendations', '/deals', '/tasks']) {
    const r = await srv.req('GET', `/api/v1/customers/${paris.id}${sub}`, undefined, as(ana));
    assert.equal(r.status, 404, `${sub}: ${r.status}`);
    assert.match(r.headers.get('content-type'), /problem\+json/);
  }
  const patch = await srv.req('PATCH', `/api/v1/customers/${paris.id}`, { first_name: 'Pierre' }, as(ana));
  assert.equal(patch.status, 404);
  assert.equal((await srv.req('GET', `/api/v1/customers/${paris.id}`)).json.first_name, 'Paul', 'unchanged');
  // the Paris salesperson sees Paris, including Mona (team Paris), not Lyon
  const pb = await srv.req('GET', '/api/v1/customers?q=visibilite', undefined, as(bob));
  assert.deepEqual(ids(pb), [paris.id, mine.id].sort((a, b) => a - b));
  // the admin still sees everything
  const adm = await srv.req('GET', '/api/v1/customers?q=visibilite');
  assert.equal(adm.json.items.length, 3);
});

test('own: only the owned customers', async () => {
  assert.equal((await srv.req('PUT', '/api/v1/visibility', { sales: 'own' })).status, 200);
  const list = await srv.req('GET', '/api/v1/customers?q=visibilite', undefined, as(ana));
  assert.deepEqual(ids(list), [mine.id]);
  assert.equal((await srv.req('GET', `/api/v1/customers/${lyon.id}`, undefined, as(ana))).status, 404);
  assert.deepEqual(ids(await srv.req('GET', '/api/v1/customers?q=visibilite', undefined, as(bob))), []);
});

test('only admins set it; admins cannot be restricted; bad values change nothing', async () => {
  assert.equal((await srv.req('PUT', '/api/v1/visibility', { sales: 'all' }, as(ana))).status, 403);
  const bad = [[{ admin: 'own' }, 'admin'], [{ sales: 'nobody' }, 'sales'], [{ pilot: 'all' }, 'pilot'], [{ support: 'team', sales: 'x' }, 'sales']];
  for (const [body, field] of bad) {
    const r = await srv.req('PUT', '/api/v1/visibility', body);
    assert.ok(r.status === 400 || r.status === 422, `${JSON.stringify(body)}: ${r.status}`);
    assert.equal(r.json.errors?.[0]?.field, field);
  }
  const v = await srv.req('GET', '/api/v1/visibility');
  assert.equal(v.json.sales, 'own');
  assert.equal(v.json.support, 'all', 'the refused change left support alone');
  const audit = await srv.req('GET', '/api/v1/audit?entity=visibility');
  assert.equal(audit.json.items.length, 2, 'each accepted change audited');
});
