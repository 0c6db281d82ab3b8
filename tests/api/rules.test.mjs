// The rules engine through the public API and CLI: templates as rows, strict
// validation naming the JSON path (nothing stored on bad input), loops
// refused, a count in a window, an absence and a wait each firing exactly
// once under RELATIO_NOW, signed webhooks with retries, firing logs, the
// timeline and the event log, roles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer, person, userWithRole, cli, BIN } from './harness.mjs';

const NOW = '2026-05-04T09:00:00Z';
const T0 = Date.parse(NOW) / 1000;
const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
let srv;

before(async () => { srv = await startServer({ env: { RELATIO_NOW: NOW } }); });
after(async () => { await srv.stop(); });

const customer = async (extra) => {
  const r = await srv.req('POST', '/api/v1/customers', person(extra));
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.id;
};
const run = async () => {
  const r = await srv.req('POST', '/api/v1/rules/run');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
};
/** `relatio rules run` at another time, as cron would. */
const runAt = (t) => {
  const r = cli(['rules', 'run', '--db', srv.db, '--json'], { env: { RELATIO_NOW: iso(t) } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};
/** The same without blocking this process (a webhook receiver runs here). */
const runAtAsync = async (t) => {
  const { stdout } = await promisify(execFile)(BIN, ['rules', 'run', '--db', srv.db, '--json'],
    { env: { ...process.env, RELATIO_NOW: iso(t), RELATIO_LOG: 'error' } });
  return JSON.parse(stdout);
};
const firings = async (ruleId) => (await srv.req('GET', `/api/v1/rules/${ruleId}/firings?limit=500`)).json.items;
const createRule = async (body) => {
  const r = await srv.req('POST', '/api/v1/rules', body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
};
const interaction = (cid, extra = {}) => srv.req('POST', '/api/v1/interactions', { customer_id: cid, channel: 'phone', direction: 'inbound', ...extra });

test('the shipped templates are rows of GET /rules, off, each valid when switched on', async () => {
  const r = await srv.req('GET', '/api/v1/rules');
  assert.equal(r.status, 200);
  const keys = r.json.items.map((x) => x.template);
  for (const k of ['seed004.search_banner', 'seed004.repeat_view_email', 'seed004.checkout_abandoned_call',
    'seed004.lapsed_visitor_survey', 'seed004.journey_bad_score', 'seed004.journey_store_interest',
    'programme.welcome', 'programme.winback', 'programme.cart_recovery']) assert.ok(keys.includes(k), k);
  for (const t of r.json.items) {
    assert.equal(t.enabled, false);
    assert.equal(t.webhook_secret, undefined, 'the list does not show secrets');
    const on = await srv.req('POST', `/api/v1/rules/${t.id}/enable`);
    assert.equal(on.status, 200, `${t.template}: ${JSON.stringify(on.json)}`);
    assert.equal((await srv.req('POST', `/api/v1/rules/${t.id}/disable`)).json.enabled, false);
  }
  const cat = await srv.req('GET', '/api/v1/rules/catalog');
  assert.ok(cat.json.events.some((e) => e.type === 'survey.answered' && e.fields.includes('score')));
  assert.deepEqual(cat.json.actions.map((a) => a.action).sort(),
    ['email', 'flag', 'personalize', 'points', 'sms', 'tag', 'task', 'unflag', 'webhook']);
});

test('malformed definitions: 422 naming the JSON path, nothing stored', async () => {
  const count = async () => (await srv.req('GET', '/api/v1/rules')).json.items.length;
  const n0 = await count();
  const ok = { trigger: { type: 'event', event: 'order.placed' }, steps: [{ action: 'tag', tag: 'x' }] };
  const cases = [
    [{ ...ok, trigger: { type: 'event', event: 'order.teleported' } }, 'definition.trigger.event', /unknown event type/],
    [{ ...ok, trigger: { type: 'sometimes' } }, 'definition.trigger.type', /event\|absence/],
    [{ ...ok, trigger: { type: 'event', event: 'order.placed', colour: 'red' } }, 'definition.trigger.colour', /unknown field/],
    [{ ...ok, conditions: [{ field: 'event.data.shoe_size', op: 'eq', value: 42 }] }, 'definition.conditions[0].field', /unknown field 'shoe_size'/],
    [{ ...ok, conditions: [{ field: 'customer.lifecycle', op: 'resembles', value: 'x' }] }, 'definition.conditions[0].op', /one of/],
    [{ ...ok, conditions: [{ field: 'customer.lifecycle', op: 'gt', value: 'x' }] }, 'definition.conditions[0].value', /number/],
    [{ ...ok, steps: [{ action: 'tag', tag: 'x' }, { action: 'teleport' }] }, 'definition.steps[1].action', /unknown action 'teleport'/],
    [{ ...ok, steps: [{ action: 'flag' }] }, 'definition.steps[0].flag', /required/],
    [{ ...ok, steps: [{ action: 'tag', tag: 'x', colour: 1 }] }, 'definition.steps[0].colour', /unknown/],
    [{ ...ok, steps: [{ wait: { days: 0 } }, { action: 'tag', tag: 'x' }] }, 'definition.steps[0].wait.days', /1 to 3650/],
    [{ ...ok, steps: [{ wait: { days: 1 }, unless: ['order.placed', 'nope'] }, { action: 'tag', tag: 'x' }] }, 'definition.steps[0].unless[1]', /unknown event type/],
    [{ ...ok, steps: [{ wait: { days: 1 } }] }, 'definition.steps', /at least one action/],
    [{ ...ok, trigger: { type: 'event', event: 'page.viewed', count: { at_least: 5, within_days: 30, same: 'colour' } } }, 'definition.trigger.count.same', /data field/],
    [{ trigger: { type: 'absence', event: 'page.viewed', days: 30 }, conditions: [{ field: 'event.data.path', op: 'exists' }], steps: [{ action: 'tag', tag: 'x' }] }, 'definition.conditions[0].field', /no event/],
    [{ ...ok, conditions: [{ field: 'event.data.order_id', op: 'bad_score' }] }, 'definition.conditions[0]', /bad_score/],
    [{ ...ok, once_per: 'fortnight' }, 'definition.once_per', /ever/],
    [{ ...ok, extra: true }, 'definition.extra', /unknown field/],
  ];
  for (const [definition, field, msg] of cases) {
    const r = await srv.req('POST', '/api/v1/rules', { name: 'bad', definition, enabled: true });
    assert.equal(r.status, 422, JSON.stringify(definition));
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.equal(r.json.errors[0].field, field, JSON.stringify(r.json));
    assert.match(r.json.errors[0].message, msg);
  }
  assert.equal((await srv.req('POST', '/api/v1/rules', { definition: ok })).json.errors[0].field, 'name');
  assert.equal((await srv.req('POST', '/api/v1/rules', { name: 'x', definition: ok, colour: 1 })).json.errors[0].field, 'colour');
  assert.equal(await count(), n0, 'nothing stored');
  // a bad PATCH leaves the rule as it was
  const r = await createRule({ name: 'editable', definition: ok });
  const bad = await srv.req('PATCH', `/api/v1/rules/${r.id}`, { name: 'renamed', definition: { ...ok, steps: [] } });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'definition.steps');
  const same = await srv.req('GET', `/api/v1/rules/${r.id}`);
  assert.equal(same.json.name, 'editable');
  assert.equal(same.json.version, 1);
  const good = await srv.req('PATCH', `/api/v1/rules/${r.id}`, { name: 'renamed', definition: { ...ok, steps: [{ action: 'tag', tag: 'y' }] } });
  assert.equal(good.status, 200);
  assert.equal(good.json.version, 2);
  assert.equal(good.json.definition.steps[0].tag, 'y');
  assert.equal((await srv.req('DELETE', `/api/v1/rules/${r.id}`)).status, 200);
  assert.equal((await srv.req('GET', `/api/v1/rules/${r.id}`)).status, 404);
});

test('rules that would loop are refused when switched on, naming the action', async () => {
  const self = await srv.req('POST', '/api/v1/rules', { name: 'self loop', enabled: true, definition: {
    trigger: { type: 'event', event: 'customer.flagged' }, steps: [{ action: 'tag', tag: 'a' }, { action: 'flag', flag: 'again' }] } });
  assert.equal(self.status, 422);
  assert.equal(self.json.errors[0].field, 'definition.steps[1].action');
  assert.match(self.json.errors[0].message, /would loop: this action emits customer\.flagged/);
  // a chain of two: B (tagged → flag) is on; C (flagged → tag) closes the loop
  const b = await createRule({ name: 'B tagged→flag', enabled: true, definition: {
    trigger: { type: 'event', event: 'customer.tagged' }, steps: [{ action: 'flag', flag: 'b' }] } });
  const c = await createRule({ name: 'C flagged→tag', enabled: false, definition: {
    trigger: { type: 'event', event: 'customer.flagged' }, steps: [{ action: 'tag', tag: 'c' }] } });
  const on = await srv.req('POST', `/api/v1/rules/${c.id}/enable`);
  assert.equal(on.status, 422);
  assert.equal(on.json.errors[0].field, 'definition.steps[0].action');
  assert.match(on.json.errors[0].message, new RegExp(`via rule ${b.id}`));
  assert.equal((await srv.req('GET', `/api/v1/rules/${c.id}`)).json.enabled, false, 'left off');
  await srv.req('DELETE', `/api/v1/rules/${b.id}`);
  await srv.req('DELETE', `/api/v1/rules/${c.id}`);
});

test('a count in a window (3rd phone call within 30 days) fires exactly once', async () => {
  const rule = await createRule({ name: '3 calls', enabled: true, definition: {
    trigger: { type: 'event', event: 'interaction.logged', count: { at_least: 3, within_days: 30, same: 'channel' } },
    steps: [{ action: 'tag', tag: 'frequent_caller' }, { action: 'flag', flag: 'call_me', reason: '{{event.data.channel}} x3' }] } });
  const cid = await customer();
  const other = await customer();
  await interaction(cid);
  await interaction(cid, { channel: 'email' });
  await interaction(other);
  await interaction(cid);
  await run();
  assert.equal((await firings(rule.id)).length, 0, "two phone calls only");
  await interaction(cid);
  await run();
  let f = await firings(rule.id);
  assert.deepEqual(f.map((x) => [x.customer_id, x.step, x.action, x.status]).reverse(),
    [[cid, 0, 'tag', 'done'], [cid, 1, 'flag', 'done']]);
  for (let i = 0; i < 3; i++) await interaction(cid);
  await run();
  runAt(T0 + 86400);
  f = await firings(rule.id);
  assert.equal(f.length, 2, 'once in the window');
  const prof = (await srv.req('GET', `/api/v1/customers/${cid}`)).json;
  assert.ok(prof.tags.includes('frequent_caller'));
  assert.deepEqual(prof.flags.map((x) => [x.flag, x.reason]), [['call_me', 'phone x3']]);
  // the firing log per customer, the timeline and the event log
  const cf = await srv.req('GET', `/api/v1/customers/${cid}/firings`);
  assert.equal(cf.json.items.length, 2);
  const tl = await srv.req('GET', `/api/v1/customers/${cid}/timeline?kind=rule`);
  assert.equal(tl.status, 200);
  assert.equal(tl.json.items.length, 2);
  assert.equal(tl.json.items[0].title, '3 calls');
  const ev = await srv.req('GET', `/api/v1/events?customer_id=${cid}&type=customer.tagged`);
  assert.equal(ev.json.items.length, 1);
  assert.equal(ev.json.items[0].data.rule_id, rule.id);
  assert.equal(ev.json.items[0].data.depth, 1);
  await srv.req('POST', `/api/v1/rules/${rule.id}/disable`);
});

test('an absence (no call for 30 days from a regular caller) fires once, under RELATIO_NOW', async () => {
  const rule = await createRule({ name: 'lapsed caller', enabled: true, definition: {
    trigger: { type: 'absence', event: 'interest.noted', days: 30, regular: true, min_events: 3 },
    conditions: [{ field: 'customer.kind', op: 'eq', value: 'person' }],
    steps: [{ action: 'tag', tag: 'lapsed' }] } });
  const regular = await customer();
  const once = await customer();
  for (const o of ['A', 'B', 'C']) await interaction(regular, { kind: 'interest', offer: o });
  await interaction(once, { kind: 'interest', offer: 'A' });
  await run();
  assert.equal((await firings(rule.id)).length, 0, 'not absent yet');
  runAt(T0 + 29 * 86400);
  assert.equal((await firings(rule.id)).length, 0, '29 days');
  runAt(T0 + 31 * 86400);
  runAt(T0 + 32 * 86400);
  const f = await firings(rule.id);
  assert.deepEqual(f.map((x) => [x.customer_id, x.action, x.status]), [[regular, 'tag', 'done']], 'the irregular one is left alone');
  await srv.req('POST', `/api/v1/rules/${rule.id}/disable`);
});

test('a wait: the step runs when due, once; "unless" stops the journey', async () => {
  const rule = await createRule({ name: 'two days later', enabled: true, definition: {
    trigger: { type: 'event', event: 'interest.noted' }, conditions: [{ field: 'event.data.offer', op: 'eq', value: 'Wait-Offer' }],
    steps: [{ action: 'tag', tag: 'interested' }, { wait: { days: 2 }, unless: 'order.placed' }, { action: 'tag', tag: 'nudged_{{event.data.offer}}' }] } });
  const a = await customer();
  const b = await customer();
  await interaction(a, { kind: 'interest', offer: 'Wait-Offer' });
  await interaction(b, { kind: 'interest', offer: 'Wait-Offer' });
  await run();
  let f = await firings(rule.id);
  assert.equal(f.length, 2);
  assert.ok(f.every((x) => x.step === 0 && x.run.status === 'waiting' && x.run.due_at === iso(T0 + 2 * 86400)));
  assert.equal((await srv.req('POST', '/api/v1/orders', { customer_id: b, total_minor: 1000 })).status, 201);
  runAt(T0 + 86400);
  assert.equal((await firings(rule.id)).length, 2, 'not due yet');
  const st = runAt(T0 + 2 * 86400 + 1);
  assert.equal(st.resumed, 1);
  assert.equal(st.stopped, 1);
  runAt(T0 + 3 * 86400);
  f = await firings(rule.id);
  const byCustomer = (cid) => f.filter((x) => x.customer_id === cid).map((x) => [x.step, x.action, x.status]).reverse();
  assert.deepEqual(byCustomer(a), [[0, 'tag', 'done'], [2, 'tag', 'done']]);
  assert.deepEqual(byCustomer(b), [[0, 'tag', 'done'], [1, 'wait', 'stopped']]);
  assert.ok((await srv.req('GET', `/api/v1/customers/${a}`)).json.tags.includes('nudged_Wait-Offer'));
  assert.ok(!(await srv.req('GET', `/api/v1/customers/${b}`)).json.tags.includes('nudged_Wait-Offer'));
  await srv.req('POST', `/api/v1/rules/${rule.id}/disable`);
});

test('a segment trigger: entering a list starts the rule, leaving it starts the other', async () => {
  const seg = await srv.req('POST', '/api/v1/segments', { name: 'VIP list', kind: 'static' });
  assert.equal(seg.status, 201, JSON.stringify(seg.json));
  const entered = await createRule({ name: 'welcome to VIP', enabled: true, definition: {
    trigger: { type: 'segment', on: 'entered', segment_id: seg.json.id },
    steps: [{ action: 'tag', tag: 'vip_welcomed' }] } });
  const left = await createRule({ name: 'left VIP', enabled: true, definition: {
    trigger: { type: 'segment', on: 'left' }, conditions: [{ field: 'event.data.segment', op: 'eq', value: 'VIP list' }],
    steps: [{ action: 'flag', flag: 'vip_lost' }] } });
  const cid = await customer();
  assert.equal((await srv.req('POST', `/api/v1/segments/${seg.json.id}/members`, { customer_ids: [cid] })).status, 200);
  await run();
  assert.deepEqual((await firings(entered.id)).map((f) => [f.customer_id, f.action]), [[cid, 'tag']]);
  assert.equal((await firings(left.id)).length, 0);
  assert.equal((await srv.req('DELETE', `/api/v1/segments/${seg.json.id}/members`, { customer_ids: [cid] })).status, 200);
  await run();
  assert.deepEqual((await firings(left.id)).map((f) => [f.customer_id, f.action]), [[cid, 'flag']]);
  await srv.req('POST', `/api/v1/rules/${entered.id}/disable`);
  await srv.req('POST', `/api/v1/rules/${left.id}/disable`);
});

test('webhooks are signed with the rule secret and retried with back-off', async () => {
  const received = [];
  let fail = 1;
  let secret = '';
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const want = 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
      const valid = req.headers['x-relatio-signature'] === want;
      received.push({ valid, body: JSON.parse(body) });
      if (!valid) { res.writeHead(401); res.end(); return; }
      res.writeHead(fail-- > 0 ? 500 : 204);
      res.end();
    });
  });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${hook.address().port}/hook`;
    const rule = await createRule({ name: 'order hook', enabled: true, webhook_secret: 'a-shared-secret-of-some-length',
      definition: { trigger: { type: 'event', event: 'order.placed' }, conditions: [{ field: 'event.data.total_minor', op: 'gte', value: 50000 }],
        steps: [{ action: 'webhook', url, payload: { source: 'relatio-test' } }] } });
    secret = (await srv.req('GET', `/api/v1/rules/${rule.id}`)).json.webhook_secret;
    assert.equal(secret, 'a-shared-secret-of-some-length');
    const cid = await customer();
    await srv.req('POST', '/api/v1/orders', { customer_id: cid, total_minor: 100 });
    const o = await srv.req('POST', '/api/v1/orders', { customer_id: cid, total_minor: 75000 });
    await run();
    // the server's own scheduler may have taken the delivery first: wait for its attempt
    let d = [];
    for (let i = 0; i < 100; i++) {
      d = (await srv.req('GET', `/api/v1/rules/${rule.id}/deliveries`)).json.items;
      if (d.length !== 1 || d[0].attempts > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(d.length, 1, 'the small order does not match');
    assert.equal(d[0].status, 'pending');
    assert.equal(d[0].attempts, 1);
    assert.equal(d[0].last_status, 500);
    assert.equal(d[0].next_at, iso(T0 + 30));
    await runAtAsync(T0 + 10);
    assert.equal(received.length, 1, 'not before the back-off');
    const st = await runAtAsync(T0 + 31);
    assert.equal(st.deliveries, 1);
    d = (await srv.req('GET', `/api/v1/rules/${rule.id}/deliveries`)).json.items;
    assert.equal(d[0].status, 'delivered');
    assert.equal(d[0].attempts, 2);
    assert.equal(received.length, 2);
    assert.ok(received.every((x) => x.valid));
    assert.equal(received[1].body.customer_id, cid);
    assert.equal(received[1].body.event.data.order_id, o.json.id);
    assert.equal(received[1].body.source, 'relatio-test');
    await runAtAsync(T0 + 3600);
    assert.equal(received.length, 2, 'delivered once');
    await srv.req('POST', `/api/v1/rules/${rule.id}/disable`);
  } finally {
    hook.close();
  }
});

test('roles: analysts read rules but do not change or run them; unknown ids are 404', async () => {
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('GET', '/api/v1/rules', undefined, { auth: analyst.token })).status, 200);
  const r = await srv.req('POST', '/api/v1/rules', { name: 'x', definition: {} }, { auth: analyst.token });
  assert.equal(r.status, 403);
  assert.equal((await srv.req('POST', '/api/v1/rules/run', undefined, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/rules/1/enable', undefined, { auth: analyst.token })).status, 403);
  const mkt = await userWithRole(srv, 'marketing');
  assert.equal((await srv.req('POST', '/api/v1/rules/1/disable', undefined, { auth: mkt.token })).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/rules/99999')).status, 404);
  assert.equal((await srv.req('GET', '/api/v1/rules/99999/firings')).status, 404);
  assert.equal((await srv.req('PATCH', '/api/v1/rules/99999', { name: 'x' })).status, 404);
  assert.equal((await srv.req('GET', '/api/v1/rules', undefined, { auth: null })).status, 401);
  const doc = await srv.req('GET', '/api/v1/openapi.json');
  assert.ok(doc.json.paths['/api/v1/rules/{id}/firings']);
});

test('CLI: rules list, enable, disable, firings', async () => {
  const l = cli(['rules', 'list', '--db', srv.db]);
  assert.equal(l.status, 0, l.stderr);
  assert.match(l.stdout, /Journey: bad survey score/);
  assert.equal(cli(['rules', 'enable', 'abc', '--db', srv.db]).status, 1);
  assert.equal(cli(['rules', 'enable', '99999', '--db', srv.db]).status, 2);
  assert.equal(cli(['rules', 'frobnicate', '--db', srv.db]).status, 1);
  const f = cli(['rules', 'firings', '--db', srv.db, '--json']);
  assert.equal(f.status, 0);
  assert.ok(JSON.parse(f.stdout).items.length > 0);
});
