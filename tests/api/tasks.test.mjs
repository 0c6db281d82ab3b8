// Tasks end to end: calls, meetings, e-mails and to-dos with due times,
// reminders and assignees, links to customers and deals, events, the
// timeline, bad input refused with the data unchanged, and the per-user
// iCalendar feed as a calendar client reads it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person, userWithRole } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: '2026-11-02T08:00:00Z' } }); });
after(async () => { await srv.stop(); });

const newCustomer = async (extra) => (await srv.req('POST', '/api/v1/customers', person(extra))).json;

/** Unfolds an iCalendar text (RFC 5545 3.1) into its logical lines. */
function unfold(ics) {
  assert.ok(!/[^\r]\n/.test(ics), 'every line ends with CRLF');
  for (const line of ics.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, `folded: ${line}`);
  return ics.replace(/\r\n[ \t]/g, '').split('\r\n').filter(Boolean);
}

/** The components of a given name as {prop: value} maps (first value). */
function components(lines, name) {
  const out = [];
  let cur = null;
  let depth = 0;
  for (const l of lines) {
    if (l === `BEGIN:${name}`) { cur = { _lines: [] }; depth = 0; continue; }
    if (cur && l === `END:${name}`) { out.push(cur); cur = null; continue; }
    if (!cur) continue;
    cur._lines.push(l);
    if (l.startsWith('BEGIN:')) depth++;
    if (l.startsWith('END:')) depth--;
    if (depth > 0 || l.startsWith('END:')) continue;
    const i = l.indexOf(':');
    const key = l.slice(0, i);
    if (!(key in cur)) cur[key] = l.slice(i + 1);
  }
  return out;
}

test('tasks: create, list by due time, done, events and the timeline', async () => {
  const c = await newCustomer();
  const deal = (await srv.req('POST', '/api/v1/deals', { customer_id: c.id, title: 'Renouvellement', amount_minor: 5000 })).json;
  const call = await srv.req('POST', '/api/v1/tasks', { kind: 'call', title: 'Rappeler Mme Martin', customer_id: c.id, due_at: '2026-11-03T09:30:00Z', remind_at: '2026-11-03T09:15:00Z' });
  assert.equal(call.status, 201, JSON.stringify(call.json));
  assert.equal(call.json.assignee_id, 1, 'the acting user by default');
  assert.equal(call.json.status, 'open');
  assert.equal(call.json.due_at, '2026-11-03T09:30:00Z');
  const todo = await srv.req('POST', '/api/v1/tasks', { kind: 'todo', title: 'Envoyer le devis', deal_id: deal.id, due_at: '2026-11-01' });
  assert.equal(todo.status, 201);
  assert.equal(todo.json.customer_id, c.id, 'the deal gives the customer');
  assert.equal(todo.json.overdue, true);
  const team = await srv.req('POST', '/api/v1/tasks', { kind: 'email', title: 'Relance', team: 'paris', customer_id: c.id });
  assert.equal(team.status, 201);
  assert.equal(team.json.assignee_id, null);

  const list = (await srv.req('GET', `/api/v1/tasks?customer_id=${c.id}`)).json.items;
  assert.deepEqual(list.map((t) => t.title), ['Envoyer le devis', 'Rappeler Mme Martin', 'Relance'], 'by due time, undated last');
  const page1 = (await srv.req('GET', `/api/v1/tasks?customer_id=${c.id}&limit=2`)).json;
  assert.equal(page1.items.length, 2);
  const page2 = (await srv.req('GET', `/api/v1/tasks?customer_id=${c.id}&limit=2&cursor=${page1.next_cursor}`)).json;
  assert.deepEqual(page2.items.map((t) => t.title), ['Relance']);
  assert.deepEqual((await srv.req('GET', '/api/v1/tasks?assignee_id=me&overdue=1')).json.items.map((t) => t.id), [todo.json.id]);
  assert.equal((await srv.req('GET', '/api/v1/tasks?team=paris')).json.items.length, 1);
  // reminders due now: only those whose time has come
  assert.equal((await srv.req('GET', `/api/v1/tasks?customer_id=${c.id}&reminders=1`)).json.items.length, 0);
  const soon = await srv.req('POST', '/api/v1/tasks', { kind: 'meeting', title: 'Visite', customer_id: c.id, due_at: '2026-11-02T09:00:00Z', remind_at: '2026-11-02T07:45:00Z' });
  assert.equal(soon.status, 201);
  assert.deepEqual((await srv.req('GET', `/api/v1/tasks?customer_id=${c.id}&reminders=1`)).json.items.map((t) => t.title), ['Visite']);
  await srv.req('PATCH', `/api/v1/tasks/${soon.json.id}`, { status: 'cancelled' });
  const oa = (await srv.req('GET', '/api/v1/openapi.json')).json;
  for (const p of ['/api/v1/tasks', '/api/v1/tasks/{id}', '/api/v1/calendar/{token}', '/api/v1/deals/{id}/stage', '/api/v1/forecast']) assert.ok(oa.paths[p], p);
  assert.equal(oa.paths['/api/v1/tasks'].post.requestBody.content['application/json'].schema.properties.kind.enum.length, 4);
  assert.equal((await srv.req('GET', `/api/v1/tasks?deal_id=${deal.id}`)).json.items.length, 1);

  const done = await srv.req('PATCH', `/api/v1/tasks/${todo.json.id}`, { status: 'done' });
  assert.equal(done.status, 200);
  assert.equal(done.json.status, 'done');
  assert.equal(done.json.done_at, '2026-11-02T08:00:00Z');
  assert.equal(done.json.overdue, false);
  const ev = (await srv.req('GET', `/api/v1/events?customer_id=${c.id}`)).json.items;
  assert.equal(ev.filter((e) => e.type === 'task.created').length, 4);
  const de = ev.find((e) => e.type === 'task.done');
  assert.equal(de.data.task_id, todo.json.id);
  assert.equal(de.data.deal_id, deal.id);

  const tl = (await srv.req('GET', `/api/v1/customers/${c.id}/timeline?kind=task`)).json.items;
  assert.equal(tl.length, 4);
  assert.ok(tl.some((t) => t.title === 'Rappeler Mme Martin' && t.channel === 'phone'));
  assert.equal((await srv.req('GET', `/api/v1/customers/${c.id}/tasks`)).json.items.length, 4);
});

test('bad input is refused naming the field, and nothing is written', async () => {
  const c = await newCustomer();
  const other = await newCustomer();
  const deal = (await srv.req('POST', '/api/v1/deals', { customer_id: other.id, title: 'Autre', amount_minor: 1 })).json;
  const ticket = await srv.req('POST', '/api/v1/tickets', { customer_id: other.id, kind: 'complaint', subject: 'Colis abîmé' });
  assert.equal(ticket.status, 201, JSON.stringify(ticket.json));
  const linked = await srv.req('POST', '/api/v1/tasks', { kind: 'call', title: 'Rappeler pour le colis', ticket_id: ticket.json.id });
  assert.equal(linked.status, 201);
  assert.equal(linked.json.customer_id, other.id, 'the ticket gives the customer');
  assert.equal((await srv.req('GET', `/api/v1/tasks?ticket_id=${ticket.json.id}`)).json.items.length, 1);
  const cases = [
    [{ kind: 'visit', title: 'x' }, 'kind'],
    [{ kind: 'call' }, 'title'],
    [{ kind: 'call', title: '' }, 'title'],
    [{ kind: 'call', title: 'x', due_at: 'tomorrow' }, 'due_at'],
    [{ kind: 'call', title: 'x', due_at: '2026-02-30T10:00:00Z' }, 'due_at'],
    [{ kind: 'call', title: 'x', due_at: '2026-11-03T10:00:00Z', remind_at: '2026-11-03T11:00:00Z' }, 'remind_at'],
    [{ kind: 'meeting', title: 'x', due_at: '2026-11-03T10:00:00Z', ends_at: '2026-11-03T09:00:00Z' }, 'ends_at'],
    [{ kind: 'call', title: 'x', customer_id: 999999 }, 'customer_id'],
    [{ kind: 'call', title: 'x', customer_id: c.id, deal_id: deal.id }, 'deal_id'],
    [{ kind: 'call', title: 'x', deal_id: 999999 }, 'deal_id'],
    [{ kind: 'call', title: 'x', ticket_id: 999999 }, 'ticket_id'],
    [{ kind: 'call', title: 'x', customer_id: c.id, ticket_id: ticket.json.id }, 'ticket_id'],
    [{ kind: 'call', title: 'x', assignee_id: 999999 }, 'assignee_id'],
    [{ kind: 'call', title: 'x', assignee_id: 1, team: 'paris' }, 'team'],
    [{ kind: 'call', title: 'x', priority: 'high' }, 'priority'],
  ];
  for (const [body, field] of cases) {
    const r = await srv.req('POST', '/api/v1/tasks', body);
    assert.equal(r.status, 422, JSON.stringify([body, r.json]));
    assert.equal(r.json.errors[0].field, field, JSON.stringify(body));
    assert.match(r.headers.get('content-type'), /problem\+json/);
  }
  assert.equal((await srv.req('GET', `/api/v1/tasks?customer_id=${c.id}`)).json.items.length, 0);
  const t = (await srv.req('POST', '/api/v1/tasks', { kind: 'meeting', title: 'RDV', customer_id: c.id, due_at: '2026-11-05T14:00:00Z', ends_at: '2026-11-05T15:00:00Z' })).json;
  const bad = await srv.req('PATCH', `/api/v1/tasks/${t.id}`, { remind_at: '2026-11-06T00:00:00Z' });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'remind_at');
  const bad2 = await srv.req('PATCH', `/api/v1/tasks/${t.id}`, { status: 'finished' });
  assert.equal(bad2.json.errors[0].field, 'status');
  const unchanged = (await srv.req('GET', `/api/v1/tasks/${t.id}`)).json;
  assert.equal(unchanged.remind_at, null);
  assert.equal(unchanged.sequence, 0);
  assert.equal((await srv.req('GET', '/api/v1/tasks/999999')).status, 404);
  const rep = await userWithRole(srv, 'sales');
  const other2 = await userWithRole(srv, 'sales');
  const repTask = (await srv.req('POST', '/api/v1/tasks', { kind: 'todo', title: 'Mine' }, { auth: rep.token })).json;
  assert.equal(repTask.assignee_id, rep.id);
  assert.equal((await srv.req('PATCH', `/api/v1/tasks/${repTask.id}`, { status: 'done' }, { auth: other2.token })).status, 403);
  assert.equal((await srv.req('PATCH', `/api/v1/tasks/${t.id}`, { title: 'not mine' }, { auth: rep.token })).status, 403);
  assert.equal((await srv.req('PATCH', `/api/v1/tasks/${repTask.id}`, { status: 'done' }, { auth: rep.token })).status, 200);
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('POST', '/api/v1/tasks', { kind: 'todo', title: 'x' }, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('GET', '/api/v1/tasks', undefined, { auth: analyst.token })).status, 200);
});

test('the iCalendar feed: secret URL, VEVENT/VTODO, escaping, folding, UTC, VALARM', async () => {
  const rep = await userWithRole(srv, 'sales');
  const c = await newCustomer({ first_name: 'Zoé', last_name: 'Lefèvre' });
  const long = 'Préparer la réunion; budget, planning et suivi\\ des commandes — ' + 'très '.repeat(12);
  const mk = async (body) => {
    const r = await srv.req('POST', '/api/v1/tasks', { assignee_id: rep.id, customer_id: c.id, ...body });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return r.json;
  };
  const meeting = await mk({ kind: 'meeting', title: long, notes: 'ligne 1\nligne 2', due_at: '2026-11-05T14:00:00+01:00', ends_at: '2026-11-05T15:30:00+01:00', remind_at: '2026-11-05T12:45:00Z' });
  const call = await mk({ kind: 'call', title: 'Appel', due_at: '2026-11-04T10:00:00Z' });
  const todo = await mk({ kind: 'todo', title: 'Dossier', due_at: '2026-11-06T17:00:00Z' });
  await mk({ kind: 'email', title: 'Newsletter' });
  await srv.req('PATCH', `/api/v1/tasks/${todo.id}`, { status: 'done' });
  await srv.req('POST', '/api/v1/tasks', { kind: 'todo', title: 'Someone else', customer_id: c.id }); // the admin's

  assert.equal((await srv.req('GET', '/api/v1/calendar/feed', undefined, { auth: rep.token })).json.active, false);
  const tok = await srv.req('POST', '/api/v1/calendar/feed', undefined, { auth: rep.token });
  assert.equal(tok.status, 201, JSON.stringify(tok.json));
  assert.match(tok.json.token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(tok.json.url, `${srv.base}${tok.json.path}`);
  assert.equal((await srv.req('GET', '/api/v1/calendar/feed', undefined, { auth: rep.token })).json.active, true);

  const r = await fetch(tok.json.url); // no credentials: the URL is the secret
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/calendar/);
  const ics = await r.text();
  const lines = unfold(ics);
  assert.equal(lines[0], 'BEGIN:VCALENDAR');
  assert.equal(lines.at(-1), 'END:VCALENDAR');
  assert.ok(lines.includes('VERSION:2.0'));
  assert.ok(lines.some((l) => l.startsWith('PRODID:')));
  const events = components(lines, 'VEVENT');
  const todos = components(lines, 'VTODO');
  assert.equal(events.length, 2);
  assert.equal(todos.length, 2);
  assert.ok(!ics.includes('Someone else'), 'only the user\'s tasks');

  const m = events.find((e) => e.UID === `task-${meeting.id}@relatio`);
  assert.equal(m.DTSTART, '20261105T130000Z', 'UTC');
  assert.equal(m.DTEND, '20261105T143000Z');
  const esc = long.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,');
  assert.equal(m.SUMMARY, `Meeting: ${esc}`);
  assert.ok(m.DESCRIPTION.startsWith('ligne 1\\nligne 2\\nCustomer: Zoé Lefèvre'));
  assert.match(m.DTSTAMP, /^\d{8}T\d{6}Z$/);
  const alarm = m._lines.slice(m._lines.indexOf('BEGIN:VALARM'), m._lines.indexOf('END:VALARM') + 1);
  assert.deepEqual(alarm.filter((l) => !l.startsWith('DESCRIPTION')), ['BEGIN:VALARM', 'ACTION:DISPLAY', 'TRIGGER;VALUE=DATE-TIME:20261105T124500Z', 'END:VALARM']);
  assert.ok(alarm.some((l) => l.startsWith('DESCRIPTION:')), 'a DISPLAY alarm has a description');

  const cl = events.find((e) => e.UID === `task-${call.id}@relatio`);
  assert.equal(cl.DTEND, '20261104T103000Z', 'a call lasts 30 minutes by default');
  const done = todos.find((t) => t.UID === `task-${todo.id}@relatio`);
  assert.equal(done.STATUS, 'COMPLETED');
  assert.equal(done.DUE, '20261106T170000Z');
  assert.equal(done.COMPLETED, '20261102T080000Z');
  assert.equal(done.SEQUENCE, '1');
  const nl = todos.find((t) => t.SUMMARY === 'E-mail: Newsletter');
  assert.equal(nl.STATUS, 'NEEDS-ACTION');
  assert.ok(!('DUE' in nl));

  // rotating the token retires the old URL
  const tok2 = await srv.req('POST', '/api/v1/calendar/feed', undefined, { auth: rep.token });
  assert.notEqual(tok2.json.token, tok.json.token);
  assert.equal((await fetch(tok.json.url)).status, 404);
  assert.equal((await fetch(tok2.json.url)).status, 200);
  assert.equal((await fetch(`${srv.base}/api/v1/calendar/${'x'.repeat(43)}.ics`)).status, 404);
});
