// Customers: create, read the 360° profile, search, filters, pagination,
// optimistic locking, audit, and bad input that leaves the data unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person } from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

async function snapshot() {
  const all = [];
  let cursor = '';
  for (;;) {
    const r = await srv.req('GET', `/api/v1/customers?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200);
    for (const it of r.json.items) all.push((await srv.req('GET', `/api/v1/customers/${it.id}`)).json);
    if (!r.json.next_cursor) break;
    cursor = r.json.next_cursor;
  }
  return JSON.stringify(all);
}

test('create a person with every data kind and read it back', async () => {
  const r = await srv.req('POST', '/api/v1/customers', {
    kind: 'person', first_name: 'Hélène', last_name: 'Lefèvre', email: 'Helene.Lefevre@Example.FR',
    phone: '06 12 34 56 78', birth_date: '1980-02-29', sex: 'female', occupation: 'cadre',
    income_band: 'upper_middle', housing: 'owner', language: 'fr', preferred_channel: 'email',
    quiet_hours_start: '21:00', quiet_hours_end: '08:00',
    emails: [{ email: 'helene@work.example.com', label: 'work' }],
    phones: [{ phone: '+44 7700 900123', label: 'uk mobile' }],
    addresses: [{ label: 'home', line1: '3 rue de la Paix', postal_code: '75002', city: 'Paris', country: 'FR' }],
    tags: ['vip', 'newsletter'], interests: ['parfum', 'soin'], custom: { loyalty_card: 'A123' },
    source: { kind: 'rented', name: 'fichier-location-2026', terms: 'one mailing only', expires_at: '2027-01-01T00:00:00Z' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.match(r.headers.get('location'), /\/api\/v1\/customers\/\d+$/);
  const c = r.json;
  assert.equal(c.email, 'helene.lefevre@example.fr');
  assert.equal(c.phone, '+33612345678');
  assert.equal(c.emails.length, 2);
  assert.equal(c.emails.filter((e) => e.primary).length, 1);
  assert.equal(c.emails[0].email, 'helene.lefevre@example.fr');
  assert.deepEqual(c.phones.map((p) => p.phone).sort(), ['+33612345678', '+447700900123']);
  assert.equal(c.addresses[0].city, 'Paris');
  assert.deepEqual(c.tags, ['newsletter', 'vip']);
  assert.deepEqual(c.interests.sort(), ['parfum', 'soin']);
  assert.equal(c.custom.loyalty_card, 'A123');
  assert.equal(c.source.kind, 'rented');
  assert.equal(c.source.expires_at, '2027-01-01T00:00:00Z');
  assert.equal(c.lifecycle, 'prospect');
  assert.equal(c.display_name, 'Hélène Lefèvre');
  assert.equal(c.version, 1);
  assert.ok(c.field_updated_at.identity);
  const g = await srv.req('GET', `/api/v1/customers/${c.id}`);
  assert.equal(g.status, 200);
  assert.equal(g.headers.get('etag'), '"1"');
  assert.deepEqual(c.possible_duplicates, [], 'checked on create: nobody alike');
  delete c.possible_duplicates;
  assert.deepEqual(g.json, c);
});

test('organisations need a name; B2B firmographics', async () => {
  const bad = await srv.req('POST', '/api/v1/customers', { kind: 'organization' });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'name');
  const ok = await srv.req('POST', '/api/v1/customers', { kind: 'organization', name: 'Parfums Dupont SARL', naf_code: '47.75Z', headcount: 12, company_revenue_minor: 150000000 });
  assert.equal(ok.status, 201);
  assert.equal(ok.json.display_name, 'Parfums Dupont SARL');
  assert.equal(ok.json.headcount, 12);
});

test('search is accent- and case-insensitive, by prefix, across fields', async () => {
  const a = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Françoise', last_name: 'Bénédicte', email: 'fb@exemple.fr', phone: '0699887766', addresses: [{ city: 'Saint-Étienne', postal_code: '42000', country: 'FR' }] }))).json;
  const find = async (q) => (await srv.req('GET', `/api/v1/customers?q=${encodeURIComponent(q)}`)).json.items.map((i) => i.id);
  assert.ok((await find('francoise')).includes(a.id));
  assert.ok((await find('FRANÇ')).includes(a.id));
  assert.ok((await find('benedicte fran')).includes(a.id));
  assert.ok((await find('etienne')).includes(a.id));
  assert.ok((await find('42000')).includes(a.id));
  assert.ok((await find('06 99 88')).includes(a.id));
  assert.ok((await find('+33699887766')).includes(a.id));
  assert.ok((await find('fb@exemple')).includes(a.id));
  assert.ok(!(await find('francoise zzz')).includes(a.id));
  const hel = await find('helene');
  assert.ok(hel.length >= 1);
  const long = await srv.req('GET', `/api/v1/customers?q=${'x'.repeat(300)}`);
  assert.equal(long.status, 422);
  assert.equal(long.json.errors[0].field, 'q');
});

test('filters and keyset pagination', async () => {
  for (let i = 0; i < 7; i++) await srv.req('POST', '/api/v1/customers', person({ last_name: `Page${i}`, tags: ['paged'] }));
  const seen = [];
  let cursor = '';
  for (let pages = 0; pages < 10; pages++) {
    const r = await srv.req('GET', `/api/v1/customers?tag=paged&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200);
    seen.push(...r.json.items.map((i) => i.id));
    if (!r.json.next_cursor) break;
    cursor = r.json.next_cursor;
  }
  assert.equal(seen.length, 7);
  assert.equal(new Set(seen).size, 7);
  assert.deepEqual(seen, [...seen].sort((x, y) => y - x));
  const orgs = await srv.req('GET', '/api/v1/customers?kind=organization');
  assert.ok(orgs.json.items.every((i) => i.kind === 'organization'));
  const fr = await srv.req('GET', '/api/v1/customers?country=FR');
  assert.ok(fr.json.items.every((i) => i.country === 'FR'));
  const prospects = await srv.req('GET', '/api/v1/customers?lifecycle=prospect');
  assert.ok(prospects.json.items.length > 0);
  for (const [q, field] of [['limit=0', 'limit'], ['limit=abc', 'limit'], ['kind=alien', 'kind'], ['lifecycle=zombie', 'lifecycle'], ['cursor=xyz', 'cursor']]) {
    const r = await srv.req('GET', `/api/v1/customers?${q}`);
    assert.ok([400, 422].includes(r.status), q);
    assert.equal(r.json.errors[0].field, field);
  }
});

test('PATCH updates, bumps the version, checks If-Match, and is audited', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', person({ last_name: 'Avant' }))).json;
  const u = await srv.req('PATCH', `/api/v1/customers/${c.id}`, { last_name: 'Après', tags: ['x'] }, { headers: { 'if-match': '"1"' } });
  assert.equal(u.status, 200, JSON.stringify(u.json));
  assert.equal(u.json.last_name, 'Après');
  assert.equal(u.json.version, 2);
  assert.equal(u.json.email, c.email, 'fields not sent stay');
  const stale = await srv.req('PATCH', `/api/v1/customers/${c.id}`, { last_name: 'Trop tard' }, { headers: { 'if-match': '"1"' } });
  assert.equal(stale.status, 409);
  assert.equal((await srv.req('GET', `/api/v1/customers/${c.id}`)).json.last_name, 'Après');
  const audit = await srv.req('GET', `/api/v1/customers/${c.id}/audit`);
  assert.equal(audit.status, 200);
  const upd = audit.json.items.find((a) => a.action === 'update');
  assert.equal(upd.before.last_name, 'Avant');
  assert.equal(upd.after.last_name, 'Après');
  assert.equal(upd.actor, 'admin@example.com');
  assert.ok(audit.json.items.find((a) => a.action === 'create'));
});

test('bad input gets a problem naming the field and changes nothing', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', person({ last_name: 'Stable' }))).json;
  const before = await snapshot();
  const cases = [
    [{ kind: 'person', last_name: 'X', email: 'not-an-email' }, 422, 'email'],
    [{ kind: 'person', last_name: 'X', phone: '12' }, 422, 'phone'],
    [{ kind: 'person', last_name: 'X', phone: '+33 6 12' }, 422, 'phone'],
    [{ kind: 'person', last_name: 'X', birth_date: '2024-02-31' }, 422, 'birth_date'],
    [{ kind: 'person', last_name: 'X', sex: 'robot' }, 422, 'sex'],
    [{ kind: 'person', last_name: 42 }, 422, 'last_name'],
    [{ kind: 'person', last_name: 'x'.repeat(101) }, 422, 'last_name'],
    [{ kind: 'person', last_name: 'X', unknown_field: 1 }, 422, 'unknown_field'],
    [{ last_name: 'X' }, 422, 'kind'],
    [{ kind: 'person' }, 422, 'last_name'],
    [{ kind: 'person', last_name: 'X', addresses: [{ postal_code: '7500', country: 'FR' }] }, 422, 'addresses[0].postal_code'],
    [{ kind: 'person', last_name: 'X', addresses: [{ country: 'XX' }] }, 422, 'addresses[0].country'],
    [{ kind: 'person', last_name: 'X', emails: [{ email: 'bad' }] }, 422, 'emails[0].email'],
    [{ kind: 'person', last_name: 'X', tags: 'vip' }, 422, 'tags'],
    [{ kind: 'person', last_name: 'X', owner_id: 999999 }, 422, 'owner_id'],
    [{ kind: 'person', last_name: 'X', quiet_hours_start: '25:00' }, 422, 'quiet_hours_start'],
    [{ kind: 'person', last_name: 'X', id: 5 }, 422, 'id'],
    [[1, 2], 400, 'body'],
  ];
  for (const [body, status, field] of cases) {
    const r = await srv.req('POST', '/api/v1/customers', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.equal(r.json.status, status);
    assert.equal(r.json.errors[0].field, field, JSON.stringify(body));
  }
  // malformed JSON, wrong media type, oversize body, invalid UTF-8, duplicate keys
  let r = await srv.req('POST', '/api/v1/customers', undefined, { raw: '{"kind": "person", ', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400);
  r = await srv.req('POST', '/api/v1/customers', undefined, { raw: 'kind=person', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 415);
  r = await srv.req('POST', '/api/v1/customers', undefined, { raw: JSON.stringify({ kind: 'person', last_name: 'x'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 413);
  r = await srv.req('POST', '/api/v1/customers', undefined, { raw: Buffer.from('{"kind":"person","last_name":"\xff\xfe"}', 'latin1'), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400);
  r = await srv.req('POST', '/api/v1/customers', undefined, { raw: '{"kind":"person","kind":"guest","last_name":"a"}', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400);
  // updates: unknown id, stale, invalid, bad If-Match
  assert.equal((await srv.req('PATCH', '/api/v1/customers/999999', { last_name: 'Y' })).status, 404);
  assert.equal((await srv.req('PATCH', `/api/v1/customers/${c.id}`, { email: 'bad' })).status, 422);
  assert.equal((await srv.req('PATCH', `/api/v1/customers/${c.id}`, { last_name: 'Y' }, { headers: { 'if-match': 'garbage' } })).status, 400);
  assert.equal((await srv.req('GET', '/api/v1/customers/abc')).status, 404);
  assert.equal((await srv.req('GET', '/api/v1/customers/999999')).status, 404);
  assert.equal((await srv.req('DELETE', '/api/v1/customers')).status, 405);
  assert.equal((await srv.req('GET', '/api/v1/nothing-here')).status, 404);
  assert.equal(await snapshot(), before);
});

test('SQL metacharacters and markup are stored as plain text', async () => {
  const name = "O'Brien\"; DROP TABLE customers; --<script>alert(1)</script>";
  const r = await srv.req('POST', '/api/v1/customers', person({ last_name: name }));
  assert.equal(r.status, 201);
  assert.equal((await srv.req('GET', `/api/v1/customers/${r.json.id}`)).json.last_name, name);
  const s = await srv.req('GET', `/api/v1/customers?q=${encodeURIComponent("o'brien")}`);
  assert.ok(s.json.items.some((i) => i.id === r.json.id));
});

test('flags: set with a reason, shown on the profile, cleared', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', person())).json;
  const f = await srv.req('POST', `/api/v1/customers/${c.id}/flags`, { flag: 'at_risk', reason: 'NPS 3' });
  assert.equal(f.status, 200);
  assert.equal(f.json.flags[0].flag, 'at_risk');
  assert.equal(f.json.flags[0].reason, 'NPS 3');
  assert.equal((await srv.req('DELETE', `/api/v1/customers/${c.id}/flags/at_risk`)).status, 204);
  assert.deepEqual((await srv.req('GET', `/api/v1/customers/${c.id}`)).json.flags, []);
  assert.equal((await srv.req('POST', `/api/v1/customers/${c.id}/flags`, { flag: 'x', bogus: 1 })).status, 422);
});

test('relations between customers show on both profiles', async () => {
  const a = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Paul' }))).json;
  const b = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Marie' }))).json;
  const org = (await srv.req('POST', '/api/v1/customers', { kind: 'organization', name: 'ACME SA' })).json;
  assert.equal((await srv.req('POST', `/api/v1/customers/${a.id}/relations`, { related_id: b.id, kind: 'household' })).status, 200);
  const emp = await srv.req('POST', `/api/v1/customers/${a.id}/relations`, { related_id: org.id, kind: 'employee_of' });
  assert.equal(emp.status, 200);
  assert.deepEqual(emp.json.relations.map((r) => [r.related_id, r.kind, r.direction]).sort(), [[b.id, 'household', 'to'], [org.id, 'employee_of', 'to']].sort());
  const back = (await srv.req('GET', `/api/v1/customers/${org.id}`)).json.relations;
  assert.deepEqual(back.map((r) => [r.related_id, r.kind, r.direction]), [[a.id, 'employee_of', 'from']]);
  assert.equal(back[0].display_name, 'Paul Martin');
  assert.equal((await srv.req('POST', `/api/v1/customers/${a.id}/relations`, { related_id: a.id, kind: 'household' })).status, 422);
  assert.equal((await srv.req('POST', `/api/v1/customers/${a.id}/relations`, { related_id: 999999, kind: 'household' })).status, 404);
  assert.equal((await srv.req('POST', `/api/v1/customers/${a.id}/relations`, { related_id: b.id, kind: 'lover' })).status, 422);
  assert.equal((await srv.req('DELETE', `/api/v1/customers/${a.id}/relations/${b.id}/household`)).status, 204);
  assert.equal((await srv.req('DELETE', `/api/v1/customers/${a.id}/relations/${b.id}/household`)).status, 404);
  assert.equal((await srv.req('GET', `/api/v1/customers/${b.id}`)).json.relations.length, 0);
});
