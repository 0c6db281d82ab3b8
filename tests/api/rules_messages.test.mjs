// Messages sent by rules: the SMS action through the send queue and a local
// HTTP SMS gateway (consent, suppression list), and the marketing-pressure
// cap of the campaign settings applied to rule e-mails and SMS as to
// campaigns: messages of every channel (campaigns, rule e-mails, rule SMS)
// count in the window; what goes over the cap fails with its reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person } from './harness.mjs';
import { startGateway, until } from './sinks.mjs';

let srv, gw;

async function customer(extra = {}, consents = []) {
  const r = await srv.req('POST', '/api/v1/customers', person(extra));
  assert.equal(r.status, 201, JSON.stringify(r.json));
  for (const [channel, purpose, granted] of consents) {
    const k = await srv.req('POST', `/api/v1/customers/${r.json.id}/consents`, { channel, purpose, granted });
    assert.equal(k.status, 201, JSON.stringify(k.json));
  }
  return r.json.id;
}
async function settings(body) {
  const r = await srv.req('PUT', '/api/v1/campaign-settings', body);
  assert.equal(r.status, 200, JSON.stringify(r.json));
}
async function createRule(body) {
  const r = await srv.req('POST', '/api/v1/rules', body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
}
/** An interaction on channel: the event the test rules listen to. */
async function touch(cid, channel) {
  const r = await srv.req('POST', '/api/v1/interactions', { customer_id: cid, channel, direction: 'inbound' });
  assert.equal(r.status, 201, JSON.stringify(r.json));
}
async function run() {
  const r = await srv.req('POST', '/api/v1/rules/run');
  assert.equal(r.status, 200, JSON.stringify(r.json));
}
/** Firings of a rule for a customer, oldest first: [action, status, detail]. */
async function firings(ruleId, cid) {
  const items = (await srv.req('GET', `/api/v1/rules/${ruleId}/firings?limit=500`)).json.items;
  return items.filter((f) => f.customer_id === cid).reverse().map((f) => [f.action, f.status, f.detail]);
}

before(async () => {
  gw = await startGateway(() => ({ status: 200 }));
  srv = await startServer();
  await settings({ sms_url: gw.url, sms_from: 'RELATIO', quiet_start: null, quiet_end: null, rate_per_sec: 0,
    pressure_max: 2, pressure_days: 7, backoff_seconds: 1, max_attempts: 3, timeout_ms: 3000 });
});
after(async () => {
  await srv.stop();
  await gw.stop();
});

test('the sms action: listed in the catalog, its parameters validated naming the path', async () => {
  const cat = await srv.req('GET', '/api/v1/rules/catalog');
  assert.ok(cat.json.actions.some((a) => a.action === 'sms'));
  const bad = await srv.req('POST', '/api/v1/rules', { name: 'bad sms', enabled: true, definition: {
    trigger: { type: 'event', event: 'interaction.logged' }, steps: [{ action: 'sms' }] } });
  assert.equal(bad.status, 422);
  assert.match(JSON.stringify(bad.json.errors), /definition\.steps\[0\]\.text/);
  const long = await srv.req('POST', '/api/v1/rules', { name: 'long sms', definition: {
    trigger: { type: 'event', event: 'interaction.logged' }, steps: [{ action: 'sms', text: 'x'.repeat(641) }] } });
  assert.equal(long.status, 422);
});

test('an SMS goes through the gateway to a consenting customer; no consent, no phone or a suppressed number: failed with the reason', async () => {
  const rule = await createRule({ name: 'sms on shop visit', enabled: true, definition: {
    trigger: { type: 'event', event: 'interaction.logged' },
    conditions: [{ field: 'event.data.channel', op: 'eq', value: 'store' }],
    steps: [{ action: 'sms', text: 'Thanks for your visit, {{event.data.channel}} team' }] } });
  const yes = await customer({ phone: '+33611111101' }, [['sms', 'marketing', true]]);
  const no = await customer({ phone: '+33611111102' }, [['email', 'marketing', true]]);
  const nophone = await customer({ phone: null }, [['sms', 'marketing', true]]);
  const blocked = await customer({ phone: '+33611111104' }, [['sms', 'marketing', true]]);
  const sup = await srv.req('POST', '/api/v1/suppressions', { channel: 'sms', address: '+33611111104', reason: 'STOP' });
  assert.ok(sup.status === 201 || sup.status === 200, JSON.stringify(sup.json));
  for (const c of [yes, no, nophone, blocked]) await touch(c, 'store');
  await run();
  const [f] = await firings(rule.id, yes);
  assert.equal(f[1], 'done', JSON.stringify(f));
  assert.match(f[2], /^SMS \d+ to \+33611111101: Thanks for your visit, store team$/);
  assert.deepEqual((await firings(rule.id, no)).map((x) => x[1]), ['failed']);
  assert.match((await firings(rule.id, no))[0][2], /consent: no SMS consent for marketing/);
  assert.match((await firings(rule.id, nophone))[0][2], /phone: the customer has no phone number/);
  assert.match((await firings(rule.id, blocked))[0][2], /suppression: \+33611111104 is on the sms suppression list/);
  const got = await until('the SMS at the gateway', async () => gw.requests.find((r) => r.json?.to === '+33611111101'), 30000);
  assert.equal(got.json.text, 'Thanks for your visit, store team');
  assert.equal(got.json.from, 'RELATIO');
  assert.ok(!gw.requests.some((r) => ['+33611111102', '+33611111104'].includes(r.json?.to)), 'nothing to the others');
  await srv.req('POST', `/api/v1/rules/${rule.id}/disable`);
});

test('rule e-mails and SMS respect the marketing-pressure cap across channels, campaigns included', async () => {
  await settings({ pressure_max: 2, pressure_days: 7 });
  const mail = await createRule({ name: 'mail on call', enabled: true, definition: {
    trigger: { type: 'event', event: 'interaction.logged' },
    conditions: [{ field: 'event.data.channel', op: 'eq', value: 'phone' }],
    steps: [{ action: 'email', subject: 'After your call', text: 'Hello' }] } });
  const sms = await createRule({ name: 'sms on chat', enabled: true, definition: {
    trigger: { type: 'event', event: 'interaction.logged' },
    conditions: [{ field: 'event.data.channel', op: 'eq', value: 'chat' }],
    steps: [{ action: 'sms', text: 'After your chat' }] } });
  const both = [['email', 'marketing', true], ['sms', 'marketing', true]];
  // two e-mails pass, the third is over the cap
  const a = await customer({ phone: '+33622222201' }, both);
  for (let i = 0; i < 3; i++) { await touch(a, 'phone'); await run(); }
  let fa = await firings(mail.id, a);
  assert.deepEqual(fa.map((x) => x[1]), ['done', 'done', 'failed']);
  assert.match(fa[2][2], /pressure: marketing pressure cap: 2 messages in the last 7 days \(at most 2\)/);
  // an SMS and an e-mail fill the window: the next SMS is refused
  const b = await customer({ phone: '+33622222202' }, both);
  await touch(b, 'chat'); await run();
  await touch(b, 'phone'); await run();
  await touch(b, 'chat'); await run();
  assert.deepEqual((await firings(sms.id, b)).map((x) => x[1]), ['done', 'failed']);
  assert.deepEqual((await firings(mail.id, b)).map((x) => x[1]), ['done']);
  // a campaign message counts too
  const c = await customer({ phone: '+33622222203' }, both);
  const k = await srv.req('POST', '/api/v1/campaigns', { name: 'promo', channel: 'email', control_pct: 0,
    subject_fr: 'Promo', body_fr: 'Bonjour', customer_ids: [c] });
  assert.equal(k.status, 201, JSON.stringify(k.json));
  const l = await srv.req('POST', `/api/v1/campaigns/${k.json.id}/launch`);
  assert.equal(l.status, 200, JSON.stringify(l.json));
  await touch(c, 'phone'); await run();
  await touch(c, 'phone'); await run();
  assert.deepEqual((await firings(mail.id, c)).map((x) => x[1]), ['done', 'failed']);
  // a wider cap lets the next one through; nothing else changed
  await settings({ pressure_max: 5 });
  await touch(c, 'phone'); await run();
  assert.deepEqual((await firings(mail.id, c)).map((x) => x[1]), ['done', 'failed', 'done']);
  const queued = (await srv.req('GET', `/api/v1/rules/messages?customer_id=${c}`)).json.items;
  assert.equal(queued.length, 2, 'only the e-mails that passed are queued');
  await srv.req('POST', `/api/v1/rules/${mail.id}/disable`);
  await srv.req('POST', `/api/v1/rules/${sms.id}/disable`);
});
