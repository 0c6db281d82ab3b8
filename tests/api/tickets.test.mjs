// The service desk end to end: tickets and their workflow, teams and
// round-robin assignment, replies vs internal notes, SLA calendars and
// policies, paused clocks, breach detection and escalation (time driven by
// RELATIO_NOW: the same database served at several instants), events, the
// 360° timeline, roles and bad input that leaves the data unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { startServer, userWithRole, person, cli, freePort, BIN } from './harness.mjs';

let srv;
// the server's own minute sweep is off: the tests sweep at chosen instants
const QUIET = { RELATIO_SLA_SWEEP_SECONDS: '0' };
before(async () => { srv = await startServer({ env: { RELATIO_NOW: '2026-11-23T08:00:00Z', ...QUIET } }); });
after(async () => { await srv.stop(); });

/** Serves srv's database at instant `now` while fn runs (the clock of a
 *  second server process), then stops it and checks it exited cleanly. */
async function at(now, fn) {
  const port = await freePort();
  const env = { ...process.env, RELATIO_PWHASH: 'fast', RELATIO_LOG: 'warn', RELATIO_NOW: now, ...QUIET };
  const proc = spawn(BIN, ['serve', '--db', srv.db, '--port', String(port), '--bind', '127.0.0.1'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
    if (i > 200) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const req = async (method, url, body) => {
    const r = await fetch(base + url, { method, headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  };
  try { return await fn(req); } finally {
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, stderr.slice(-3000));
  }
}

const sweep = (now) => {
  const r = cli(['sla', 'sweep', '--db', srv.db, '--json'], { env: { RELATIO_NOW: now } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).breaches;
};

const events = (type, ticketId) => {
  const r = spawnSync('sqlite3', ['-json', srv.db, `SELECT type, customer_id, subject_id, data FROM events WHERE type = '${type}' AND subject_id = ${Number(ticketId)} ORDER BY id`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() ? JSON.parse(r.stdout).map((e) => ({ ...e, data: JSON.parse(e.data) })) : [];
};

const customer = async () => (await srv.req('POST', '/api/v1/customers', person())).json;

let office; // Mon–Fri 09:00–18:00 UTC, holiday on Christmas
test('SLA calendars: impossible hours and bad holidays are refused naming the field', async () => {
  const before = (await srv.req('GET', '/api/v1/sla/calendars')).json.items.length;
  const bad = [
    [{ name: 'x', hours: { mon: ['18:00', '09:00'] } }, 'hours.mon'],
    [{ name: 'x', hours: { tue: ['09:00', '25:00'] } }, 'hours.tue'],
    [{ name: 'x', hours: { wed: ['09:00', '12:75'] } }, 'hours.wed'],
    [{ name: 'x', hours: { thu: ['09:00'] } }, 'hours.thu'],
    [{ name: 'x', hours: { fri: ['09:00', '18:00'] }, holidays: ['2026-12-25', '2026-02-30'] }, 'holidays[1]'],
    [{ name: 'x', hours: { mon: ['09:00', '18:00'] }, tz_offset_minutes: 2000 }, 'tz_offset_minutes'],
    [{ name: 'x', hours: { funday: ['09:00', '18:00'] } }, 'hours'],
    [{ hours: {} }, 'name'],
  ];
  for (const [body, field] of bad) {
    const r = await srv.req('POST', '/api/v1/sla/calendars', body);
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.json.errors[0].field, field, JSON.stringify(r.json));
  }
  assert.equal((await srv.req('GET', '/api/v1/sla/calendars')).json.items.length, before, 'nothing stored');
  const week = ['09:00', '18:00'];
  const ok = await srv.req('POST', '/api/v1/sla/calendars', { name: 'Office', tz_offset_minutes: 0, hours: { mon: week, tue: week, wed: week, thu: week, fri: week }, holidays: ['2026-12-25'] });
  assert.equal(ok.status, 201, JSON.stringify(ok.json));
  office = ok.json.id;
  assert.equal((await srv.req('POST', '/api/v1/sla/policies', { name: 'p', first_response_minutes: 60, resolution_minutes: 30 })).json.errors[0].field, 'resolution_minutes');
  assert.equal((await srv.req('POST', '/api/v1/sla/policies', { name: 'p', first_response_minutes: 60, resolution_minutes: 90, calendar_id: 9999 })).json.errors[0].field, 'calendar_id');
  const p1 = await srv.req('POST', '/api/v1/sla/policies', { name: 'Complaints, high', kind: 'complaint', priority: 'high', first_response_minutes: 60, resolution_minutes: 480, calendar_id: office });
  assert.equal(p1.status, 201, JSON.stringify(p1.json));
  const p2 = await srv.req('POST', '/api/v1/sla/policies', { name: 'Default 24/7', first_response_minutes: 240, resolution_minutes: 2880 });
  assert.equal(p2.status, 201);
});

test('a ticket gets due times from the most specific policy and business hours', async () => {
  const c = await customer();
  // Monday 08:00, before opening: the clock starts at 09:00
  const t = await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'complaint', priority: 'high', channel: 'phone', subject: 'Colis jamais reçu', body: 'Ma commande n’est jamais arrivée.' });
  assert.equal(t.status, 201, JSON.stringify(t.json));
  assert.equal(t.json.status, 'new');
  assert.equal(t.json.first_response_due_at, '2026-11-23T10:00:00Z');
  assert.equal(t.json.resolution_due_at, '2026-11-23T17:00:00Z');
  assert.equal(t.json.messages.length, 1);
  const other = await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'information', subject: 'Horaires ?' });
  assert.equal(other.json.first_response_due_at, '2026-11-23T12:00:00Z', '24/7 default: 240 minutes');
  const opened = events('ticket.opened', t.json.id);
  assert.equal(opened.length, 1);
  assert.equal(opened[0].data.kind, 'complaint');
  assert.equal(opened[0].customer_id, c.id);
  // the 360° timeline shows it
  const tl = await srv.req('GET', `/api/v1/customers/${c.id}/timeline?kind=ticket`);
  assert.equal(tl.status, 200);
  assert.deepEqual(tl.json.items.map((i) => i.id).sort(), [t.json.id, other.json.id].sort());
  assert.equal(tl.json.items.find((i) => i.id === t.json.id).title, 'Colis jamais reçu');
});

test('waiting on the customer pauses the clock; breaches are swept, escalated and emitted once', async () => {
  const c = await customer();
  const esc = await srv.req('POST', '/api/v1/teams', { name: 'Level 2' });
  const team = await srv.req('POST', '/api/v1/teams', { name: 'Front desk', escalation_team_id: esc.json.id });
  assert.equal(team.status, 201, JSON.stringify(team.json));
  const t = (await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'complaint', priority: 'high', subject: 'Facture erronée', team_id: team.json.id })).json;
  // Monday 09:30: the agent answers and waits for the customer (7.5 business hours left)
  await at('2026-11-23T09:30:00Z', async (req) => {
    const r = await req('POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Pouvez-vous nous envoyer la facture ?', status: 'waiting' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.status, 'waiting');
    assert.equal(r.json.first_response_at, '2026-11-23T09:30:00Z');
    assert.equal(r.json.paused, true);
    assert.equal(r.json.resolution_due_at, null);
  });
  // a day later nothing is breached: the clock was paused
  sweep('2026-11-24T12:00:00Z');
  assert.equal(events('sla.breached', t.id).length, 0);
  // Tuesday 12:00 the customer answers: 7.5 h left = 6 h Tuesday + 1.5 h Wednesday
  await at('2026-11-24T12:00:00Z', async (req) => {
    const r = await req('PATCH', `/api/v1/tickets/${t.id}`, { status: 'open' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.resolution_due_at, '2026-11-25T10:30:00Z');
    assert.equal(r.json.paused, false);
  });
  sweep('2026-11-25T10:29:00Z');
  assert.equal(events('sla.breached', t.id).length, 0);
  assert.ok(sweep('2026-11-25T10:31:00Z') >= 1);
  assert.equal(events('sla.breached', t.id).length, 1);
  assert.equal(sweep('2026-11-25T11:00:00Z'), 0, 'a breach is detected once');
  const g = (await srv.req('GET', `/api/v1/tickets/${t.id}`)).json;
  assert.equal(g.resolution_breached, true);
  assert.equal(g.first_response_breached, false);
  assert.equal(g.escalated, true);
  assert.equal(g.priority, 'urgent', 'escalation raises the priority');
  assert.equal(g.team_id, esc.json.id, 'and hands it to the escalation team');
  const br = events('sla.breached', t.id);
  assert.equal(br.length, 1);
  assert.equal(br[0].data.target, 'resolution');
  assert.equal(br[0].data.due_at, '2026-11-25T10:30:00Z');
  const list = await srv.req('GET', '/api/v1/tickets?breached=1');
  assert.ok(list.json.items.some((i) => i.id === t.id));
  assert.ok(list.json.items.every((i) => i.first_response_breached || i.resolution_breached));
});

test('first-response breach over a weekend and a holiday', async () => {
  const c = await customer();
  let id;
  // Thursday 24 Dec 17:30; Christmas (Friday) is a holiday: 1 h runs 17:30–18:00 Thu + 09:00–09:30 Mon
  await at('2026-12-24T17:30:00Z', async (req) => {
    const r = await req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'complaint', priority: 'high', subject: 'Cadeau cassé' });
    assert.equal(r.status, 201);
    assert.equal(r.json.first_response_due_at, '2026-12-28T09:30:00Z');
    id = r.json.id;
  });
  sweep('2026-12-28T09:29:00Z');
  assert.equal(events('sla.breached', id).length, 0);
  assert.ok(sweep('2026-12-28T09:31:00Z') >= 1);
  const br = events('sla.breached', id);
  assert.deepEqual(br.map((e) => e.data.target), ['first_response']);
});

test('status workflow: illegal transitions are refused and change nothing; resolve emits ticket.resolved', async () => {
  const c = await customer();
  const t = (await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'assistance', subject: 'Mot de passe' })).json;
  const bad = await srv.req('PATCH', `/api/v1/tickets/${t.id}`, { status: 'sleeping' });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'status');
  let r = await srv.req('PATCH', `/api/v1/tickets/${t.id}`, { status: 'resolved' });
  assert.equal(r.status, 200);
  assert.equal(r.json.resolved_at, '2026-11-23T08:00:00Z');
  const res = events('ticket.resolved', t.id);
  assert.equal(res.length, 1);
  assert.equal(res[0].data.ticket_id, t.id);
  assert.equal(res[0].customer_id, c.id);
  r = await srv.req('PATCH', `/api/v1/tickets/${t.id}`, { status: 'waiting' });
  assert.equal(r.status, 409, 'resolved → waiting is not a transition');
  assert.equal(r.json.errors[0].field, 'status');
  r = await srv.req('PATCH', `/api/v1/tickets/${t.id}`, { status: 'closed', priority: 'urgent' });
  assert.equal(r.status, 200);
  const before = (await srv.req('GET', `/api/v1/tickets/${t.id}`)).json;
  for (const body of [{ status: 'open' }, { priority: 'low' }]) {
    r = await srv.req('PATCH', `/api/v1/tickets/${t.id}`, body);
    assert.equal(r.status, 409, JSON.stringify(body));
    assert.equal(r.json.errors[0].field, 'status');
  }
  r = await srv.req('POST', `/api/v1/tickets/${t.id}/messages`, { body: 'encore ?' });
  assert.equal(r.status, 409);
  assert.deepEqual((await srv.req('GET', `/api/v1/tickets/${t.id}`)).json, before, 'data unchanged');
});

test('teams: round-robin assignment, unknown teams and users refused', async () => {
  const a = await userWithRole(srv, 'support');
  const b = await userWithRole(srv, 'support');
  const team = await srv.req('POST', '/api/v1/teams', { name: 'Round robin', assignment: 'round_robin', members: [a.email, String(b.id)] });
  assert.equal(team.status, 201, JSON.stringify(team.json));
  assert.equal(team.json.members.length, 2);
  const c = await customer();
  const got = [];
  for (let i = 0; i < 3; i++) {
    const t = await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'support', subject: `rr ${i}`, team_id: team.json.id });
    assert.equal(t.status, 201);
    got.push(t.json.assignee_id);
  }
  const [first, second] = [a.id, b.id].sort((x, y) => x - y);
  assert.deepEqual(got, [first, second, first]);
  const count = async () => (await srv.req('GET', `/api/v1/tickets?customer_id=${c.id}&limit=500`)).json.items.length;
  const n = await count();
  for (const [body, field] of [[{ team_id: 9999 }, 'team_id'], [{ assignee_id: 9999 }, 'assignee_id'], [{ customer_id: 999999 }, 'customer_id'], [{ kind: 'rant' }, 'kind'], [{ priority: 'asap' }, 'priority'], [{ subject: 'x'.repeat(201) }, 'subject'], [{ subject: '  ' }, 'subject'], [{ body: 'x'.repeat(20001) }, 'body'], [{ colour: 'red' }, 'colour']]) {
    const r = await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'support', subject: 'bad', ...body });
    assert.equal(r.status, 422, JSON.stringify(body).slice(0, 80));
    assert.equal(r.json.errors[0].field, field);
  }
  const huge = await srv.req('POST', '/api/v1/tickets', undefined, { raw: JSON.stringify({ customer_id: c.id, kind: 'support', subject: 's', body: 'x'.repeat(1100000) }), headers: { 'content-type': 'application/json' } });
  assert.equal(huge.status, 413);
  const t = (await srv.req('GET', `/api/v1/tickets?customer_id=${c.id}`)).json.items[0];
  const bad = await srv.req('PATCH', `/api/v1/tickets/${t.id}`, { team_id: 424242 });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'team_id');
  assert.equal((await srv.req('GET', `/api/v1/tickets/${t.id}`)).json.team_id, team.json.id);
  assert.equal(await count(), n, 'no ticket created by bad input');
  // manual assignment and the "mine" queue
  const r = await srv.req('PATCH', `/api/v1/tickets/${t.id}`, { assignee_id: b.id });
  assert.equal(r.json.assignee_id, b.id);
  const mine = await srv.req('GET', '/api/v1/tickets?mine=1', undefined, { auth: b.token });
  assert.ok(mine.json.items.some((i) => i.id === t.id));
});

test('internal notes never answer the customer; replies stop the first-response clock', async () => {
  const c = await customer();
  const t = (await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'support', subject: 'Appli plante', body: 'Elle plante au démarrage' })).json;
  let r = await srv.req('POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Client VIP, voir avec l’équipe mobile', internal: true });
  assert.equal(r.status, 201);
  assert.equal(r.json.first_response_at, null);
  assert.equal(r.json.status, 'new');
  assert.equal((await srv.req('POST', `/api/v1/tickets/${t.id}/messages`, { body: 'x', internal: true, status: 'resolved' })).json.errors[0].field, 'status');
  r = await srv.req('POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Merci, une mise à jour corrige ce problème.' });
  assert.equal(r.json.first_response_at, '2026-11-23T08:00:00Z');
  assert.equal(r.json.status, 'open');
  assert.deepEqual(r.json.messages.map((m) => [m.direction, m.internal]), [['inbound', false], ['outbound', true], ['outbound', false]]);
  assert.equal(events('ticket.replied', t.id).length, 2);
});

test('queue order, paging, filters, roles', async () => {
  const page1 = await srv.req('GET', '/api/v1/tickets?status=active&limit=2');
  assert.equal(page1.status, 200);
  assert.equal(page1.json.items.length, 2);
  assert.ok(page1.json.next_cursor);
  const page2 = await srv.req('GET', `/api/v1/tickets?status=active&limit=2&cursor=${page1.json.next_cursor}`);
  const ids = new Set([...page1.json.items, ...page2.json.items].map((i) => i.id));
  assert.equal(ids.size, 4, 'pages do not overlap');
  const due = [...page1.json.items, ...page2.json.items].map((i) => i.next_due_at).filter(Boolean);
  assert.deepEqual(due, [...due].sort(), 'nearest due first');
  assert.equal((await srv.req('GET', '/api/v1/tickets?status=nope')).json.errors[0].field, 'status');
  assert.equal((await srv.req('GET', '/api/v1/tickets?cursor=zzz')).json.errors[0].field, 'cursor');
  const analyst = await userWithRole(srv, 'analyst');
  const marketing = await userWithRole(srv, 'marketing');
  assert.equal((await srv.req('GET', '/api/v1/tickets', undefined, { auth: analyst.token })).status, 200);
  const c = await customer();
  assert.equal((await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'support', subject: 'x' }, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'support', subject: 'x' }, { auth: marketing.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/sla/sweep', undefined, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/teams', { name: 'z' }, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('GET', '/api/v1/tickets/999999')).status, 404);
  const sw = await srv.req('POST', '/api/v1/sla/sweep');
  assert.equal(sw.status, 200);
  assert.equal(typeof sw.json.breaches, 'number');
  // a ticket by e-mail address creates a guest customer
  const g = await srv.req('POST', '/api/v1/tickets', { email: 'inconnu@example.org', kind: 'information', subject: 'Question' });
  assert.equal(g.status, 201, JSON.stringify(g.json));
  assert.ok(g.json.customer_id > 0);
  const api = (await srv.req('GET', '/api/v1/openapi.json')).json;
  assert.ok(api.paths['/api/v1/tickets'].post.requestBody);
  assert.ok(api.paths['/api/v1/sla/calendars'].post);
});
