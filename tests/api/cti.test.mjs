// Telephony (CTI) end to end: a local HTTP client posts call events signed
// with the shared secret the way a phone system does, agents listen on the
// server-sent-events stream; wrong or missing secrets, stale and replayed
// requests, unknown numbers, events out of order and bad bodies are refused
// or handled with the data unchanged; click-to-call against a local phone
// system; the stream ends cleanly on SIGTERM (the harness asserts exit 0,
// so leaks under the sanitizer build fail).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startServer, person, userWithRole } from './harness.mjs';

const NOW = '2026-11-02T08:00:00Z';
const NOW_TS = Date.parse(NOW) / 1000;
const SECRET = 'cti-shared-secret-0123456789';

let srv;
// heartbeats every second, so the test sees one without waiting long
before(async () => { srv = await startServer({ env: { RELATIO_NOW: NOW, RELATIO_SSE_HEARTBEAT: '1' } }); });
after(async () => { await srv.stop(); });

const sign = (body, ts, secret = SECRET) =>
  'sha256=' + crypto.createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');

/** Posts a call event as the phone system does; opts may forge any part. */
async function postEvent(ev, { ts = NOW_TS, secret = SECRET, sig, raw, headers = {} } = {}) {
  const body = raw ?? JSON.stringify(ev);
  const h = { 'content-type': 'application/json', ...headers };
  if (ts !== null) h['x-cti-timestamp'] = String(ts);
  if (sig !== null) h['x-cti-signature'] = sig ?? sign(body, ts, secret);
  return srv.req('POST', '/api/v1/cti/events', undefined, { auth: null, headers: h, raw: body });
}

/** An SSE client: next(pred) resolves with the next parsed 'call' message
 * matching pred (messages before it are kept for later calls). */
async function openStream(token) {
  const ctl = new AbortController();
  const r = await fetch(`${srv.base}/api/v1/cti/stream`, {
    headers: { authorization: `Bearer ${token}` }, signal: ctl.signal,
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/event-stream/);
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const events = [];
  let waiter = null;
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = { event: 'message', data: '', comment: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) ev.comment += line.slice(1).trim();
            else if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('data: ')) ev.data += line.slice(6);
            else if (line.startsWith('id: ')) ev.id = line.slice(4);
          }
          events.push(ev);
          if (waiter) waiter();
        }
      }
    } catch { /* aborted */ }
    if (waiter) waiter();
  })();
  const stream = {
    events,
    ended: false,
    async next(pred = () => true, what = 'a message') {
      for (let spins = 0; spins < 400; spins++) {
        const i = events.findIndex((e) => e.event === 'call' && pred(JSON.parse(e.data)));
        if (i >= 0) return JSON.parse(events.splice(i, 1)[0].data);
        if (stream.ended) break;
        await new Promise((res) => { waiter = res; setTimeout(res, 50); });
        waiter = null;
      }
      throw new Error(`no ${what} on the stream: ${JSON.stringify(events)}`);
    },
    close() { ctl.abort(); },
    done: pump.then(() => { stream.ended = true; }),
  };
  // the handler subscribed before answering: once greeted, the stream is live
  for (let i = 0; i < 100 && !events.some((e) => e.event === 'ready'); i++)
    await new Promise((res) => setTimeout(res, 20));
  assert.ok(events.some((e) => e.event === 'ready'), 'greeting');
  return stream;
}

const calls = async () => (await srv.req('GET', '/api/v1/cti/calls')).json.items;

test('cti: settings are admin-only, the secret write-only; no secret, no call events', async () => {
  const none = await postEvent({ call_id: 'x0', event: 'ringing', from: '+33611223344', to: '+33140000000' });
  assert.equal(none.status, 401, JSON.stringify(none.json));
  assert.equal(none.headers.get('content-type'), 'application/problem+json');
  const g = await srv.req('GET', '/api/v1/cti/settings');
  assert.equal(g.json.secret_set, false);
  const short = await srv.req('PUT', '/api/v1/cti/settings', { secret: 'too-short' });
  assert.equal(short.status, 422);
  assert.equal(short.json.errors[0].field, 'secret');
  const badUrl = await srv.req('PUT', '/api/v1/cti/settings', { originate_url: 'ftp://pbx' });
  assert.equal(badUrl.status, 422);
  assert.equal(badUrl.json.errors[0].field, 'originate_url');
  const agent = await userWithRole(srv, 'support');
  const forbidden = await srv.req('PUT', '/api/v1/cti/settings', { secret: SECRET }, { auth: agent.token });
  assert.equal(forbidden.status, 403);
  const put = await srv.req('PUT', '/api/v1/cti/settings', { secret: SECRET });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  assert.equal(put.json.secret_set, true);
  assert.ok(!JSON.stringify(put.json).includes(SECRET), 'the secret is never shown');
  const audit = (await srv.req('GET', '/api/v1/audit?entity=cti_settings')).json.items;
  assert.ok(audit.length >= 1);
  assert.ok(!JSON.stringify(audit).includes(SECRET), 'nor written to the audit log');
  assert.deepEqual(await calls(), []);
});

test('cti: wrong, missing, stale and forged signatures are 401 and store nothing', async () => {
  const ev = { call_id: 'forged-1', event: 'ringing', from: '+33611223344', to: '+33140000000' };
  const body = JSON.stringify(ev);
  const cases = {
    'wrong secret': await postEvent(ev, { secret: 'another-secret-0123456789' }),
    'no signature': await postEvent(ev, { sig: null }),
    'no timestamp': await postEvent(ev, { ts: null, sig: sign(body, NOW_TS) }),
    'stale timestamp': await postEvent(ev, { ts: NOW_TS - 301 }),
    'future timestamp': await postEvent(ev, { ts: NOW_TS + 301 }),
    'timestamp not a number': await postEvent(ev, { ts: '12ab', sig: sign(body, '12ab') }),
    'body changed after signing': await postEvent(ev, { raw: body.replace('+33611223344', '+33699999999'), sig: sign(body, NOW_TS) }),
    'signature of another time': await postEvent(ev, { sig: sign(body, NOW_TS - 1) }),
    'not hex': await postEvent(ev, { sig: 'sha256=' + 'zz'.repeat(32) }),
    'no scheme': await postEvent(ev, { sig: sign(body, NOW_TS).slice(7) }),
  };
  for (const [what, r] of Object.entries(cases)) {
    assert.equal(r.status, 401, `${what}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.type, '/problems/unauthorized');
    assert.ok(r.json.errors[0].field.startsWith('X-CTI-'), what);
  }
  assert.deepEqual(await calls(), [], 'nothing stored');
  const bearer = await srv.req('POST', '/api/v1/cti/events', ev); // a staff token is no signature
  assert.equal(bearer.status, 401);
});

test('cti: a known caller rings, the agent gets the card; answered and ended go on the timeline', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Hélène', last_name: 'Durand', phone: '06 11 22 33 44' }))).json;
  const order = await srv.req('POST', '/api/v1/orders', { customer_id: c.id, ordered_at: '2026-10-01T10:00:00Z', currency: 'EUR', total_minor: 4900 });
  assert.equal(order.status, 201, JSON.stringify(order.json));
  const agent = await userWithRole(srv, 'support');
  const other = await userWithRole(srv, 'sales');
  const mine = await openStream(agent.token);
  const theirs = await openStream(other.token);

  const ring = await postEvent({ call_id: 'pbx-1001', event: 'ringing', direction: 'inbound', from: '+33 6 11 22 33 44', to: '01 40 00 00 00', agent: agent.email.toUpperCase(), at: '2026-11-02T07:59:50Z' });
  assert.equal(ring.status, 200, JSON.stringify(ring.json));
  assert.equal(ring.json.changed, true);
  const call = ring.json.call;
  assert.equal(call.customer_id, c.id, 'found by the E.164 number');
  assert.equal(call.from, '+33611223344');
  assert.equal(call.to, '+33140000000');
  assert.equal(call.user_id, agent.id);
  assert.equal(call.state, 'ringing');

  const pop = await mine.next((m) => m.call.call_id === 'pbx-1001', 'card');
  assert.equal(pop.state, 'ringing');
  assert.equal(pop.customer.id, c.id);
  assert.equal(pop.customer.display_name, 'Hélène Durand');
  assert.equal(pop.customer.stats.orders, 1);
  assert.equal(pop.customer.last_orders.length, 1);
  assert.equal(pop.customer.last_orders[0].total_minor, 4900);
  assert.ok('scores' in pop.customer && 'lifecycle' in pop.customer);

  assert.equal((await postEvent({ call_id: 'pbx-1001', event: 'answered', from: '+33611223344', to: '+33140000000', agent: agent.email, at: '2026-11-02T08:00:00Z' })).status, 200);
  assert.equal((await mine.next((m) => m.call.call_id === 'pbx-1001')).state, 'answered');
  const end = await postEvent({ call_id: 'pbx-1001', event: 'ended', from: '+33611223344', to: '+33140000000', agent: agent.email, at: '2026-11-02T08:02:05Z' }, { ts: NOW_TS + 1 });
  assert.equal(end.status, 200);
  assert.equal(end.json.call.state, 'ended');
  assert.equal(end.json.call.duration_s, 125);
  assert.equal(end.json.call.outcome, 'answered');
  assert.equal((await mine.next((m) => m.call.call_id === 'pbx-1001')).state, 'ended');

  // the other agent saw none of it: their first message is a broadcast (no agent)
  await postEvent({ call_id: 'pbx-queue', event: 'ringing', from: '+33611223344', to: '+33140000000' });
  const first = await theirs.next(() => true, 'broadcast');
  assert.equal(first.call.call_id, 'pbx-queue', 'a call for another agent is not shown to them');
  assert.equal((await mine.next((m) => m.call.call_id === 'pbx-queue')).call.user_id, null);

  const tl = (await srv.req('GET', `/api/v1/customers/${c.id}/timeline?kind=call`)).json.items;
  const logged = tl.find((i) => i.id === call.id);
  assert.ok(logged, JSON.stringify(tl));
  assert.equal(logged.channel, 'phone');
  assert.equal(logged.direction, 'inbound');
  assert.equal(logged.outcome, 'answered');
  assert.equal(logged.at, '2026-11-02T08:02:05Z');
  assert.match(logged.detail, /125 s/);
  assert.match(logged.detail, new RegExp(agent.email.toUpperCase().replace(/[.+]/g, '\\$&')));
  const evs = (await srv.req('GET', `/api/v1/events?customer_id=${c.id}&type=call.ended`)).json.items;
  assert.equal(evs.length, 1);
  assert.equal(evs[0].data.duration_s, 125);
  assert.equal(evs[0].data.outcome, 'answered');

  // follow-up from the card: a call task for the caller, assigned to the agent
  const fu = await srv.req('POST', `/api/v1/cti/calls/${call.id}/followup`, { title: 'Rappeler pour la livraison', due_at: '2026-11-03T09:00:00Z' }, { auth: agent.token });
  assert.equal(fu.status, 201, JSON.stringify(fu.json));
  assert.equal(fu.json.customer_id, c.id);
  assert.equal(fu.json.kind, 'call');
  assert.equal(fu.json.assignee_id, agent.id);
  assert.equal((await srv.req('GET', `/api/v1/cti/calls/${call.id}`)).json.task_id, fu.json.id);
  const badFu = await srv.req('POST', `/api/v1/cti/calls/${call.id}/followup`, { title: 'x', due_at: 'demain' }, { auth: agent.token });
  assert.equal(badFu.status, 422);
  assert.equal(badFu.json.errors[0].field, 'due_at');
  assert.equal((await srv.req('GET', `/api/v1/tasks?customer_id=${c.id}`)).json.items.length, 1, 'nothing half-made');
  mine.close();
  theirs.close();
});

test('cti: events out of order, repeated and retried never move a call backwards', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', person({ phone: '+33622334455' }))).json;
  const base = { call_id: 'ooo-1', from: '+33622334455', to: '+33140000000' };
  const e1 = await postEvent({ ...base, event: 'ended', at: '2026-11-02T07:59:40Z' });
  assert.equal(e1.status, 200);
  assert.equal(e1.json.call.state, 'ended');
  assert.equal(e1.json.call.outcome, 'missed', 'no answer seen yet');
  assert.equal(e1.json.call.customer_id, c.id);
  const e2 = await postEvent({ ...base, event: 'answered', at: '2026-11-02T07:59:10Z' });
  assert.equal(e2.json.call.state, 'ended', 'a late answer does not reopen the call');
  assert.equal(e2.json.call.duration_s, 30);
  assert.equal(e2.json.call.outcome, 'answered');
  assert.equal(e2.json.changed, false);
  const e3 = await postEvent({ ...base, event: 'ringing', at: '2026-11-02T07:59:00Z' });
  assert.equal(e3.json.call.state, 'ended');
  assert.equal(e3.json.call.ringing_at, '2026-11-02T07:59:00Z');
  // the phone system retries the ringing (new timestamp, same event): nothing changes
  const retry = await postEvent({ ...base, event: 'ringing', at: '2026-11-02T07:59:03Z' }, { ts: NOW_TS + 5 });
  assert.equal(retry.status, 200);
  assert.equal(retry.json.changed, false);
  assert.equal(retry.json.call.ringing_at, '2026-11-02T07:59:00Z', 'the first time stays');
  const evs = (await srv.req('GET', `/api/v1/events?customer_id=${c.id}&type=call.ended`)).json.items;
  assert.equal(evs.length, 1, 'ended once');

  // an explicit outcome from the phone system wins over the derived one
  const vm = { call_id: 'ooo-2', from: '+33622334455', to: '+33140000000' };
  await postEvent({ ...vm, event: 'ringing' });
  const v = await postEvent({ ...vm, event: 'ended', outcome: 'voicemail' });
  assert.equal(v.json.call.outcome, 'voicemail');
  const o = await postEvent({ ...vm, event: 'ended', direction: 'outbound' }, { ts: NOW_TS + 2 });
  assert.equal(o.json.call.outcome, 'voicemail');
  assert.equal(o.json.call.direction, 'inbound', 'the first event fixed the direction');
});

test('cti: replayed requests are refused; bad bodies name the field; nothing changes', async () => {
  const ev = { call_id: 'rp-1', event: 'ringing', from: '+33633445566', to: '+33140000000' };
  const body = JSON.stringify(ev);
  const first = await postEvent(ev, { raw: body });
  assert.equal(first.status, 200);
  const before = JSON.stringify(await calls());
  const again = await postEvent(ev, { raw: body });
  assert.equal(again.status, 409, JSON.stringify(again.json));
  assert.match(again.json.detail, /replay/);
  // the same request later, outside the window: 401 (its timestamp is stale)
  const stale = await postEvent(ev, { raw: body, ts: NOW_TS - 400 });
  assert.equal(stale.status, 401);

  const bad = [
    [{ ...ev, call_id: 'rp-2', event: 'ringin' }, 422, 'event'],
    [{ event: 'ringing', from: '+33633445566', to: '+33140000000' }, 422, 'call_id'],
    [{ ...ev, call_id: 'rp-3', from: '' }, 422, 'from'],
    [{ ...ev, call_id: 'rp-4', to: 'zéro' }, 422, 'to'],
    [{ ...ev, call_id: 'rp-5', at: '2026-02-31T10:00:00Z' }, 422, 'at'],
    [{ ...ev, call_id: 'rp-6', direction: 'sideways' }, 422, 'direction'],
    [{ ...ev, call_id: 'rp-7', outcome: 'exploded' }, 422, 'outcome'],
    [{ ...ev, call_id: 'rp-8', extra: 1 }, 422, 'extra'],
    [{ ...ev, call_id: 'x'.repeat(101) }, 422, 'call_id'],
    [{ ...ev, call_id: 'rp-9', agent: 'a'.repeat(300) }, 422, 'agent'],
    [{ ...ev, call_id: 'rp-10', pad: 'p'.repeat(17000) }, 413, 'body'],
  ];
  for (const [b, status, field] of bad) {
    const r = await postEvent(b);
    assert.equal(r.status, status, `${field}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.errors[0].field, field);
  }
  const mal = await postEvent(null, { raw: '{"call_id":' });
  assert.equal(mal.status, 400);
  const arr = await postEvent(null, { raw: '[1,2]' });
  assert.equal(arr.status, 400);
  assert.equal(JSON.stringify(await calls()), before, 'data unchanged');
});

test('cti: an unknown number gets a null card; the new caller is linked, then on the timeline', async () => {
  const agent = await userWithRole(srv, 'support');
  const s = await openStream(agent.token);
  const ev = { call_id: 'new-1', event: 'ringing', from: '07 99 88 77 66', to: '+33140000000', agent: agent.email };
  const r = await postEvent(ev);
  assert.equal(r.json.call.customer_id, null);
  const pop = await s.next((m) => m.call.call_id === 'new-1');
  assert.equal(pop.customer, null, 'the browser shows the new-caller form');
  assert.equal(pop.call.from, '+33799887766');
  const withheld = await postEvent({ ...ev, call_id: 'anon-1', from: 'anonymous' });
  assert.equal(withheld.status, 200);
  assert.equal(withheld.json.call.from, 'anonymous');
  assert.equal(withheld.json.call.customer_id, null);

  const fu = await srv.req('POST', `/api/v1/cti/calls/${r.json.call.id}/followup`, { title: 'Rappeler' }, { auth: agent.token });
  assert.equal(fu.status, 409, 'no customer yet');
  const c = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Nouveau', phone: '+33799887766' }), { auth: agent.token })).json;
  const bad = await srv.req('POST', `/api/v1/cti/calls/${r.json.call.id}/customer`, { customer_id: 999999 }, { auth: agent.token });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'customer_id');
  const link = await srv.req('POST', `/api/v1/cti/calls/${r.json.call.id}/customer`, { customer_id: c.id }, { auth: agent.token });
  assert.equal(link.status, 200, JSON.stringify(link.json));
  assert.equal(link.json.customer_id, c.id);
  const other = (await srv.req('POST', '/api/v1/customers', person())).json;
  const steal = await srv.req('POST', `/api/v1/cti/calls/${r.json.call.id}/customer`, { customer_id: other.id }, { auth: agent.token });
  assert.equal(steal.status, 409);
  const tl = (await srv.req('GET', `/api/v1/customers/${c.id}/timeline`)).json.items;
  assert.ok(tl.some((i) => i.kind === 'call' && i.id === r.json.call.id));
  assert.equal((await srv.req('GET', `/api/v1/cti/calls?customer_id=${c.id}`)).json.items.length, 1);
  // a later call from that number finds the new customer straight away
  const next = await postEvent({ ...ev, call_id: 'new-2' });
  assert.equal(next.json.call.customer_id, c.id);
  assert.equal((await s.next((m) => m.call.call_id === 'new-2')).customer.id, c.id);
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('POST', `/api/v1/cti/calls/${r.json.call.id}/followup`, { title: 'x' }, { auth: analyst.token })).status, 403);
  s.close();
});

test('cti: click-to-call opens tel: links, or asks the phone system with a signed request', async () => {
  const agent = await userWithRole(srv, 'sales');
  const plain = await srv.req('POST', '/api/v1/cti/originate', { number: '06 11 22 33 44' }, { auth: agent.token });
  assert.equal(plain.status, 200, JSON.stringify(plain.json));
  assert.deepEqual(plain.json, { requested: false, to: '+33611223344', tel: 'tel:+33611223344' });
  const bad = await srv.req('POST', '/api/v1/cti/originate', { number: 'abc' }, { auth: agent.token });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'number');

  const got = [];
  const pbx = http.createServer((req, res) => {
    let b = '';
    req.on('data', (d) => { b += d; });
    req.on('end', () => {
      got.push({ body: b, ts: req.headers['x-cti-timestamp'], sig: req.headers['x-cti-signature'] });
      res.writeHead(got.length === 1 ? 200 : 500).end();
    });
  });
  await new Promise((res) => pbx.listen(0, '127.0.0.1', res));
  const url = `http://127.0.0.1:${pbx.address().port}/originate`;
  assert.equal((await srv.req('PUT', '/api/v1/cti/settings', { originate_url: url })).status, 200);
  const c = (await srv.req('POST', '/api/v1/customers', person())).json;
  const ok = await srv.req('POST', '/api/v1/cti/originate', { number: '+33611223344', customer_id: c.id }, { auth: agent.token });
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  assert.equal(ok.json.requested, true);
  assert.equal(got.length, 1);
  assert.equal(got[0].sig, sign(got[0].body, got[0].ts), 'signed with the shared secret');
  assert.deepEqual(JSON.parse(got[0].body), { agent: agent.email, user_id: agent.id, to: '+33611223344', customer_id: c.id });
  const down = await srv.req('POST', '/api/v1/cti/originate', { number: '+33611223344' }, { auth: agent.token });
  assert.equal(down.status, 503, 'the phone system failed');
  await new Promise((res) => pbx.close(res));
  const gone = await srv.req('POST', '/api/v1/cti/originate', { number: '+33611223344' }, { auth: agent.token });
  assert.equal(gone.status, 503);
  assert.equal((await srv.req('PUT', '/api/v1/cti/settings', { originate_url: '' })).status, 200);
});

test('cti: rules react to call.ended (a missed call tags the caller)', async () => {
  const rule = await srv.req('POST', '/api/v1/rules', { name: 'missed calls', enabled: true, definition: {
    trigger: { type: 'event', event: 'call.ended' },
    conditions: [{ field: 'event.data.outcome', op: 'eq', value: 'missed' }],
    steps: [{ action: 'tag', tag: 'missed_call' }] } });
  assert.equal(rule.status, 201, JSON.stringify(rule.json));
  const missed = (await srv.req('POST', '/api/v1/customers', person({ phone: '+33644556677' }))).json;
  const talked = (await srv.req('POST', '/api/v1/customers', person({ phone: '+33655667788' }))).json;
  await postEvent({ call_id: 'rule-1', event: 'ringing', from: '+33644556677', to: '+33140000000' });
  await postEvent({ call_id: 'rule-1', event: 'ended', from: '+33644556677', to: '+33140000000' });
  await postEvent({ call_id: 'rule-2', event: 'answered', from: '+33655667788', to: '+33140000000' });
  await postEvent({ call_id: 'rule-2', event: 'ended', from: '+33655667788', to: '+33140000000' });
  assert.equal((await srv.req('POST', '/api/v1/rules/run')).status, 200);
  const tags = async (id) => JSON.stringify((await srv.req('GET', `/api/v1/customers/${id}`)).json.tags);
  assert.match(await tags(missed.id), /missed_call/);
  assert.doesNotMatch(await tags(talked.id), /missed_call/);
  assert.equal((await srv.req('POST', `/api/v1/rules/${rule.json.id}/disable`)).status, 200);
});

test('cti: an idle stream sends heartbeats, and ends on SIGTERM (the after hook asserts a clean exit)', async () => {
  const agent = await userWithRole(srv, 'support');
  const s = await openStream(agent.token);
  for (let i = 0; i < 100 && !s.events.some((e) => e.comment === 'heartbeat'); i++)
    await new Promise((res) => setTimeout(res, 50));
  assert.ok(s.events.some((e) => e.comment === 'heartbeat'), JSON.stringify(s.events));
  assert.equal((await srv.req('GET', '/api/v1/cti/stream', undefined, { auth: null })).status, 401);
  // left open: srv.stop() in after() must still end promptly and cleanly
  s.done.then(() => {});
});
