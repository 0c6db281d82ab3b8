// Privacy rights: a person's data exported as JSON from every module, the
// erasure (personal data gone everywhere, orders kept de-identified, the
// audit trail redacted), erasure applied again to an older backup restored,
// and the retention policy for inactive prospects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, cli } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: '2026-07-01T12:00:00Z' } }); });
after(async () => { await srv.stop(); });

const dump = (db) => execFileSync('sqlite3', [db, '.dump'], { maxBuffer: 1 << 28 }).toString();

test('export everything held on a person, then erase it everywhere', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', {
    kind: 'person', first_name: 'Gwendoline', last_name: 'Quimperlé', email: 'gwen.quimperle@example.fr',
    phone: '06 98 76 54 32', birth_date: '1979-02-03', tags: ['vip'], interests: ['jardin'],
    addresses: [{ line1: '7 rue des Mouettes', postal_code: '29300', city: 'Quimperlé', country: 'FR' }],
  })).json;
  assert.equal((await srv.req('POST', '/api/v1/orders', { customer_id: c.id, total_minor: 4500, currency: 'EUR' })).status, 201);
  assert.equal((await srv.req('POST', '/api/v1/interactions', { customer_id: c.id, channel: 'phone', direction: 'inbound', subject: 'Gwendoline called about her garden' })).status, 201);
  assert.equal((await srv.req('POST', `/api/v1/customers/${c.id}/consents`, { channel: 'email', purpose: 'marketing', granted: true, legal_basis: 'consent', source: 'web' })).status, 201);

  const exp = await srv.req('GET', `/api/v1/customers/${c.id}/export`);
  assert.equal(exp.status, 200);
  assert.equal(exp.json.customer.email, 'gwen.quimperle@example.fr');
  for (const t of ['orders', 'interactions', 'consents', 'customer_emails', 'customer_phones', 'customer_addresses', 'customer_tags']) {
    assert.ok(exp.json.records[t]?.length >= 1, `export holds ${t}`);
  }
  assert.ok(exp.json.audit.some((a) => a.action === 'create'));

  const e = await srv.req('POST', `/api/v1/customers/${c.id}/erase`, { reason: 'request by e-mail of 2026-06-30' });
  assert.equal(e.status, 200, JSON.stringify(e.json));
  assert.ok(e.json.removed.interactions >= 1);
  const after = (await srv.req('GET', `/api/v1/customers/${c.id}`)).json;
  assert.ok(after.erased_at);
  assert.equal(after.first_name, null);
  assert.equal(after.email, null);
  assert.equal(after.stats.orders, 1, 'the order is kept for accounting');
  const orders = (await srv.req('GET', `/api/v1/customers/${c.id}/orders`)).json;
  assert.equal((orders.items ?? orders).length, 1);
  assert.equal((await srv.req('GET', '/api/v1/customers?q=quimperle')).json.items.length, 0);
  const audit = (await srv.req('GET', `/api/v1/customers/${c.id}/audit`)).json.items;
  assert.ok(audit.some((a) => a.action === 'erase'));
  for (const a of audit.filter((x) => x.action !== 'erase')) {
    assert.ok(a.after === null || a.after.erased === true, JSON.stringify(a));
    assert.ok(a.before === null || a.before.erased === true, JSON.stringify(a));
  }
  const d = dump(srv.db);
  for (const s of ['gwen.quimperle', 'Gwendoline', 'Mouettes', '+33698765432', 'garden']) assert.ok(!d.includes(s), `${s} is gone from the database`);
  assert.equal((await srv.req('POST', `/api/v1/customers/${c.id}/erase`, {})).status, 409);
  assert.equal((await srv.req('POST', '/api/v1/customers/999999/erase', {})).status, 404);

});

test('restoring a backup taken before an erasure erases the person again', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', { kind: 'person', first_name: 'Armelle', last_name: 'Kervella', email: 'armelle.k@example.fr' })).json;
  const older = path.join(srv.dir, 'older.db');
  assert.equal(cli(['backup', older, '--db', srv.db]).status, 0);
  assert.equal((await srv.req('POST', `/api/v1/customers/${c.id}/erase`, {})).status, 200);
  // a restore into a database that knows the erasure (its own erasures table)
  const target = path.join(srv.dir, 'target.db');
  assert.equal(cli(['backup', target, '--db', srv.db]).status, 0);
  const r = cli(['restore', older, '--db', target]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!dump(target).includes('armelle.k@example.fr'), 'erased again after the restore');
  assert.match(r.stderr, /1 erased customer\(s\) erased again/);
});

test('retention: prospects inactive for N months are erased, customers are not', async () => {
  const p = (await srv.req('POST', '/api/v1/customers', { kind: 'person', first_name: 'Old', last_name: 'Prospect', email: 'old.prospect@example.fr' })).json;
  const later = { env: { RELATIO_NOW: '2029-01-01T00:00:00Z' } };
  const dry = JSON.parse(cli(['privacy', 'retention', '--months', '24', '--dry-run', '--db', srv.db], later).stdout);
  assert.ok(dry.prospects >= 1);
  assert.equal(dry.erased, 0);
  assert.ok(dry.sample_ids.includes(p.id));
  const run = JSON.parse(cli(['privacy', 'retention', '--months', '24', '--db', srv.db], later).stdout);
  assert.equal(run.erased, dry.prospects);
  assert.ok((await srv.req('GET', `/api/v1/customers/${p.id}`)).json.erased_at);
  const bad = await srv.req('POST', '/api/v1/privacy/retention', { months: 0 });
  assert.equal(bad.status, 422);
  const none = await srv.req('POST', '/api/v1/privacy/retention', { months: 24, dry_run: true });
  assert.equal(none.status, 200);
  assert.equal(none.json.prospects, 0, 'nobody is inactive that long on 2026-07-01');
});
