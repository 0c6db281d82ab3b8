// Campaigns over real channels, end to end: a real SMTP server (aiosmtpd) and
// a local HTTP SMS gateway; the pre-send checks and their reasons, bounces,
// signed links (unsubscribe, click, open, newsletter confirmation), control
// group and uplift, postal and phone channels, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person, userWithRole, cli } from './harness.mjs';
import { startSmtpSink, startGateway, until } from './sinks.mjs';

let srv, smtp, gw;
const FROM = 'Relatio <news@relatio.test>';

async function customer(extra = {}, consents = [['email', 'marketing', true]]) {
  const r = await srv.req('POST', '/api/v1/customers', person(extra));
  assert.equal(r.status, 201, JSON.stringify(r.json));
  for (const [channel, purpose, granted] of consents) {
    const k = await srv.req('POST', `/api/v1/customers/${r.json.id}/consents`, { channel, purpose, granted });
    assert.equal(k.status, 201, JSON.stringify(k.json));
  }
  return r.json;
}

async function campaign(body) {
  const r = await srv.req('POST', '/api/v1/campaigns', {
    channel: 'email', control_pct: 0, subject_fr: 'Offre {{ offer }}', subject_en: 'Offer {{ offer }}',
    body_fr: 'Bonjour {{ first_name | "client" }}', body_en: 'Hello {{ first_name | "customer" }}', ...body,
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
}

async function launch(id) {
  const r = await srv.req('POST', `/api/v1/campaigns/${id}/launch`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

async function settle(id) {
  return until(`campaign ${id} delivered`, async () => {
    const r = await srv.req('GET', `/api/v1/campaigns/${id}/results`);
    const m = r.json.messages;
    return (m.pending ?? 0) + (m.claimed ?? 0) === 0 ? r.json : null;
  });
}

async function settings(body) {
  const r = await srv.req('PUT', '/api/v1/campaign-settings', body);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

before(async () => {
  smtp = await startSmtpSink();
  srv = await startServer();
  await settings({
    smtp_url: smtp.url, from: FROM, public_url: srv.base, quiet_start: null, quiet_end: null,
    rate_per_sec: 0, pressure_max: 2, pressure_days: 7, backoff_seconds: 1, max_attempts: 3, timeout_ms: 3000,
  });
});

after(async () => {
  await srv.stop();
  await smtp.stop();
  if (gw) await gw.stop();
});

test('the withdrawn, the refuser, the over-pressured and the expired rented contact get nothing, each with its reason', async () => {
  const ok = await customer({ first_name: 'Hélène' });
  const en = await customer({ first_name: 'John', language: 'en' });
  const withdrawn = await customer({}, [['email', 'marketing', true], ['email', 'marketing', false]]);
  const refuser = await customer();
  const r = await srv.req('POST', '/api/v1/interactions', {
    customer_id: refuser.id, channel: 'store', direction: 'inbound', kind: 'request',
    outcome: 'offer_refused', offer: 'Spa weekend',
  });
  assert.equal(r.status, 201);
  const pressured = await customer();
  const rented = await customer({ source: { kind: 'rented', name: 'salon-2024', terms: 'one year', expires_at: '2025-06-30' } });
  const bounce = await customer({ email: `bounce-${Date.now()}@example.test` });
  const never = await customer({}, []); // never asked

  // two earlier messages this week reach the cap of 2 for "pressured"
  for (const offer of ['Newsletter A', 'Newsletter B']) {
    const c = await campaign({ name: offer, offer, customer_ids: [pressured.id] });
    const l = await launch(c.id);
    assert.equal(l.launch.queued, 1);
  }

  const cam = await campaign({
    name: 'Spa', offer: 'Spa weekend',
    customer_ids: [ok.id, en.id, withdrawn.id, refuser.id, pressured.id, rented.id, bounce.id, never.id, 999999],
  });
  const prev = await srv.req('POST', `/api/v1/campaigns/${cam.id}/preview`);
  assert.equal(prev.status, 200);
  assert.equal(prev.json.queued, 3);
  assert.equal(prev.json.unknown_ids, 1);
  const l = await launch(cam.id);
  assert.equal(l.status, 'sending');
  assert.deepEqual(l.launch.excluded_by_reason, {
    consent_withdrawn: 1, offer_refused: 1, pressure_cap: 1, provenance_expired: 1, no_consent: 1,
  });
  const res = await settle(cam.id);
  assert.deepEqual(res.excluded_by_reason, l.launch.excluded_by_reason);
  assert.equal(res.messages.sent, 2);
  assert.equal(res.messages.bounced, 1);
  assert.equal(res.delivered, 2);

  // the report names each customer's reason
  const rec = await srv.req('GET', `/api/v1/campaigns/${cam.id}/recipients?status=excluded`);
  const why = Object.fromEntries(rec.json.items.map((i) => [i.customer_id, i.reason]));
  assert.deepEqual(why, {
    [withdrawn.id]: 'consent_withdrawn', [refuser.id]: 'offer_refused', [pressured.id]: 'pressure_cap',
    [rented.id]: 'provenance_expired', [never.id]: 'no_consent',
  });

  // what the SMTP server holds: only ok and en, in their languages
  for (const c of [withdrawn, refuser, rented, never]) assert.equal(smtp.to(c.email).length, 0, c.email);
  // the over-pressured customer has the two earlier messages of the week, not a third
  assert.equal(smtp.to(pressured.email).length, 2);
  assert.equal(smtp.messages().filter((m) => m.message_id === `<c${cam.id}.${pressured.id}@relatio.test>`).length, 0);
  const [m1] = smtp.to(ok.email);
  assert.equal(m1.subject, 'Offre Spa weekend');
  assert.match(m1.data, /Bonjour H=C3=A9l=C3=A8ne/);
  assert.equal(m1.message_id, `<c${cam.id}.${ok.id}@relatio.test>`);
  assert.match(m1.list_unsubscribe, new RegExp(`^<${srv.base}/api/v1/c/u/u\\.${cam.id}\\.${ok.id}\\.[0-9a-f]{32}>$`));
  assert.match(m1.data, /List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
  assert.equal(smtp.to(en.email)[0].subject, 'Offer Spa weekend');

  // the bounce is recorded and the address suppressed
  const b = await srv.req('GET', `/api/v1/campaigns/${cam.id}/recipients?status=queued`);
  const bi = b.json.items.find((i) => i.customer_id === bounce.id);
  assert.equal(bi.delivery, 'bounced');
  assert.match(bi.last_error, /550/);
  const sup = await srv.req('GET', '/api/v1/suppressions?channel=email');
  assert.ok(sup.json.items.some((s) => s.address === bounce.email && s.reason === 'bounce'));
  const ev = await srv.req('GET', `/api/v1/customers/${bounce.id}/timeline?kind=campaign`);
  assert.equal(ev.status, 200);
  assert.equal(ev.json.items[0].outcome, 'bounced');
  assert.equal(ev.json.items[0].title, 'Offre Spa weekend');
  // the next campaign leaves the bounced address out
  const again = await campaign({ name: 'Again', customer_ids: [bounce.id] });
  assert.deepEqual((await launch(again.id)).launch.excluded_by_reason, { suppressed: 1 });
});

test('template errors are refused with their position and leave nothing behind', async () => {
  const before = (await srv.req('GET', '/api/v1/campaigns?limit=500')).json.items.length;
  let r = await srv.req('POST', '/api/v1/campaigns', {
    name: 'Bad', channel: 'email', subject_fr: 'x', body_fr: 'Bonjour {{ frist_name }}', customer_ids: [1],
  });
  assert.equal(r.status, 422);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  assert.equal(r.json.errors?.[0]?.field ?? r.json.field, 'body_fr');
  assert.match(JSON.stringify(r.json), /line 1, column 12: unknown merge field 'frist_name'/);
  r = await srv.req('POST', '/api/v1/campaigns', {
    name: 'Bad', channel: 'email', subject_fr: 'x', body_fr: 'ok', html_en: '<p>\n{% if city %}<b>', customer_ids: [1],
  });
  assert.equal(r.status, 422);
  assert.match(JSON.stringify(r.json), /html_en/);
  assert.match(JSON.stringify(r.json), /line 2, column 1: 'if' without 'endif'/);
  r = await srv.req('POST', '/api/v1/campaigns', { name: 'Bad', channel: 'email', body_fr: 'x', customer_ids: [1] });
  assert.equal(r.status, 422);
  assert.match(JSON.stringify(r.json), /subject_fr/);
  r = await srv.req('POST', '/api/v1/campaigns', { name: 'Bad', channel: 'fax', body_fr: 'x' });
  assert.equal(r.status, 422);
  assert.match(JSON.stringify(r.json), /channel/);
  r = await srv.req('POST', '/api/v1/campaigns', { name: 'Bad', channel: 'sms', body_fr: 'x', customer_ids: [1, 'two'] });
  assert.equal(r.status, 422);
  assert.match(JSON.stringify(r.json), /customer_ids\[1\]/);
  assert.equal((await srv.req('GET', '/api/v1/campaigns?limit=500')).json.items.length, before);
  // no audience: the launch is refused and the draft stays a draft
  const c = await campaign({ name: 'Nobody' });
  r = await srv.req('POST', `/api/v1/campaigns/${c.id}/launch`);
  assert.equal(r.status, 422);
  assert.match(JSON.stringify(r.json), /audience/);
  assert.equal((await srv.req('GET', `/api/v1/campaigns/${c.id}`)).json.status, 'draft');
  // a launched campaign cannot be launched again nor edited
  const d = await campaign({ name: 'Once', customer_ids: [1] });
  await launch(d.id);
  assert.equal((await srv.req('POST', `/api/v1/campaigns/${d.id}/launch`)).status, 409);
  assert.equal((await srv.req('PATCH', `/api/v1/campaigns/${d.id}`, { name: 'x' })).status, 409);
});

test('unsubscribe links: one click withdraws consent; replayed and forged links are refused cleanly', async () => {
  const cu = await customer();
  const c = await campaign({ name: 'Unsub', customer_ids: [cu.id] });
  await launch(c.id);
  await settle(c.id);
  const [m] = smtp.to(cu.email);
  const url = m.list_unsubscribe.slice(1, -1);
  const path = url.slice(srv.base.length);
  // the page a person sees
  let r = await srv.req('GET', path, undefined, { auth: null });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/html/);
  // a forged token (other customer id, same signature) changes nothing
  const forged = path.replace(`.${cu.id}.`, `.${cu.id + 1}.`);
  r = await srv.req('POST', forged, undefined, { auth: null, raw: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  const consents0 = (await srv.req('GET', `/api/v1/customers/${cu.id}/consents`)).json.items.length;
  // RFC 8058 one-click
  r = await srv.req('POST', path, undefined, { auth: null, raw: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.status, 'unsubscribed');
  const ledger = (await srv.req('GET', `/api/v1/customers/${cu.id}/consents`)).json.items;
  assert.equal(ledger.length, consents0 + 1);
  assert.equal(ledger.at(-1).granted, false);
  assert.equal(ledger.at(-1).source, 'unsubscribe link');
  // replay
  r = await srv.req('POST', path, undefined, { auth: null, raw: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 409);
  assert.equal((await srv.req('GET', `/api/v1/customers/${cu.id}/consents`)).json.items.length, consents0 + 1);
  // garbage
  r = await srv.req('POST', '/api/v1/c/u/u.1.2.zz', undefined, { auth: null });
  assert.equal(r.status, 403);
  // the next campaign leaves them out
  const next = await campaign({ name: 'After unsub', customer_ids: [cu.id] });
  assert.deepEqual((await launch(next.id)).launch.excluded_by_reason, { consent_withdrawn: 1 });
});

test('consent withdrawn after the launch: the queued message is not sent', async () => {
  const cu = await customer();
  await settings({ smtp_url: '' }); // the worker holds e-mails while no server is configured
  const c = await campaign({ name: 'Late withdrawal', customer_ids: [cu.id] });
  assert.equal((await launch(c.id)).launch.queued, 1);
  const k = await srv.req('POST', `/api/v1/customers/${cu.id}/consents`, { channel: 'email', purpose: 'marketing', granted: false });
  assert.equal(k.status, 201);
  await settings({ smtp_url: smtp.url });
  const res = await settle(c.id);
  assert.equal(res.messages.cancelled, 1);
  assert.equal(res.excluded_by_reason.consent_withdrawn, 1);
  assert.equal(smtp.to(cu.email).length, 0);
});

test('test sends, tracked clicks with signed links, opens only with tracking consent', async () => {
  const tracked = await customer({}, [['email', 'marketing', true], ['tracking', 'marketing', true]]);
  const untracked = await customer();
  const c = await campaign({
    name: 'Clicks', landing_url: 'https://shop.example/spa', customer_ids: [tracked.id, untracked.id],
    body_fr: 'Voir {{ landing_url }}', html_fr: '<p>{{ first_name }}: <a href="{{ landing_url }}">ici</a></p>',
  });
  let r = await srv.req('POST', `/api/v1/campaigns/${c.id}/test`, { to: 'tester@example.test', customer_id: tracked.id });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  await until('test message', () => smtp.to('tester@example.test').length === 1);
  assert.match(smtp.to('tester@example.test')[0].subject, /^\[TEST\] Offre/);
  r = await srv.req('POST', `/api/v1/campaigns/${c.id}/test`, { to: 'not an address' });
  assert.equal(r.status, 422);
  await launch(c.id);
  await settle(c.id);
  const mt = smtp.to(tracked.email)[0].data.replace(/=\r\n/g, '').replace(/=3D/g, '=');
  const mu = smtp.to(untracked.email)[0].data.replace(/=\r\n/g, '').replace(/=3D/g, '=');
  assert.match(mt, /\/api\/v1\/c\/o\/o\./);
  assert.doesNotMatch(mu, /\/api\/v1\/c\/o\//);
  const link = mt.match(/(\/api\/v1\/c\/c\/[^\s"<]+)/)[1].replace(/&amp;/g, '&');
  r = await fetch(srv.base + link, { redirect: 'manual' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), 'https://shop.example/spa');
  // a changed target breaks the signature: no open redirect
  r = await fetch(srv.base + link.replace(/u=[^&]+/, 'u=https%3A%2F%2Fevil.example%2F'), { redirect: 'manual' });
  assert.equal(r.status, 403);
  const pixel = mt.match(/(\/api\/v1\/c\/o\/[^\s"]+)/)[1];
  r = await fetch(srv.base + pixel);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/gif');
  const res = (await srv.req('GET', `/api/v1/campaigns/${c.id}/results`)).json;
  assert.equal(res.clicked, 1);
  assert.equal(res.opened, 1);
});

test('control group: seeded and reproducible; uplift, revenue, cost and ROI from real orders', async () => {
  const ids = [];
  for (let i = 0; i < 30; i++) ids.push((await customer()).id);
  const body = { name: 'Uplift', control_pct: 50, seed: 7, customer_ids: ids, cost_minor: 1000, cost_per_message_minor: 10, conversion_days: 30 };
  const c = await campaign(body);
  const twin = await campaign({ ...body, name: 'Twin' });
  const p1 = (await srv.req('POST', `/api/v1/campaigns/${c.id}/preview`)).json;
  const p2 = (await srv.req('POST', `/api/v1/campaigns/${twin.id}/preview`)).json;
  assert.equal(p1.control, p2.control);
  assert.ok(p1.control > 5 && p1.control < 25, `control ${p1.control}`);
  const l = await launch(c.id);
  assert.equal(l.launch.control, p1.control);
  await settle(c.id);
  const rec = (await srv.req('GET', `/api/v1/campaigns/${c.id}/recipients?limit=500`)).json.items;
  const treated = rec.filter((x) => x.status === 'queued').map((x) => x.customer_id);
  const control = rec.filter((x) => x.status === 'control').map((x) => x.customer_id);
  assert.equal(treated.length + control.length, 30);
  for (const id of control) assert.equal(smtp.messages().filter((m) => m.message_id === `<c${c.id}.${id}@relatio.test>`).length, 0);
  // 4 treated and 1 control customer buy after the launch
  const buy = async (cid, amount) => {
    const r = await srv.req('POST', '/api/v1/orders', { customer_id: cid, total_minor: amount, currency: 'EUR' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  };
  for (const id of treated.slice(0, 4)) await buy(id, 5000);
  await buy(control[0], 5000);
  const res = (await srv.req('GET', `/api/v1/campaigns/${c.id}/results`)).json;
  const nt = treated.length, nc = control.length;
  assert.equal(res.converted, 4);
  assert.equal(res.control_converted, 1);
  assert.equal(res.revenue_minor, 20000);
  assert.ok(Math.abs(res.conversion_rate - 4 / nt) < 1e-9);
  assert.ok(Math.abs(res.uplift - (4 / nt - 1 / nc)) < 1e-9);
  const incremental = Math.trunc((20000 / nt - 5000 / nc) * nt);
  assert.equal(res.incremental_revenue_minor, incremental);
  assert.equal(res.cost_minor, 1000 + 10 * nt);
  assert.ok(Math.abs(res.roi - ((20000 / nt - 5000 / nc) * nt - res.cost_minor) / res.cost_minor) < 1e-9);
});

test('SMS through the gateway: delivered, refused (4xx), retried after a 500, failed after timeouts', async () => {
  const seen = new Map();
  gw = await startGateway((json) => {
    const n = (seen.get(json.to) ?? 0) + 1;
    seen.set(json.to, n);
    if (json.to.endsWith('01')) return { status: 200 };
    if (json.to.endsWith('02')) return { status: 400, body: { error: 'unknown number' } };
    if (json.to.endsWith('03')) return n === 1 ? { status: 500 } : { status: 200 };
    return 'hang';
  });
  await settings({ sms_url: gw.url, sms_from: 'RELATIO', timeout_ms: 1500, max_attempts: 3, backoff_seconds: 1 });
  const cs = [];
  for (const tail of ['01', '02', '03', '04']) {
    cs.push(await customer({ phone: `+336123456${tail}` }, [['sms', 'marketing', true]]));
  }
  const c = await campaign({ name: 'SMS', channel: 'sms', body_fr: 'Bonjour {{ first_name }}, -20% "spa" STOP', customer_ids: cs.map((x) => x.id) });
  await launch(c.id);
  const res = await until('sms settled', async () => {
    const r = (await srv.req('GET', `/api/v1/campaigns/${c.id}/results`)).json;
    return (r.messages.pending ?? 0) + (r.messages.claimed ?? 0) === 0 ? r : null;
  }, 60000);
  assert.deepEqual(res.messages, { sent: 2, bounced: 1, failed: 1 });
  const first = gw.requests.find((r) => r.json.to === '+33612345601').json;
  assert.equal(first.text, 'Bonjour Jean, -20% "spa" STOP');
  assert.equal(first.from, 'RELATIO');
  assert.equal(first.id, `c${c.id}:${cs[0].id}`);
  assert.equal(seen.get('+33612345603'), 2); // retried once, then delivered
  assert.equal(seen.get('+33612345604'), 3); // three timeouts, then failed
  const rec = (await srv.req('GET', `/api/v1/campaigns/${c.id}/recipients`)).json.items;
  assert.match(rec.find((x) => x.customer_id === cs[3].id).last_error, /gateway unreachable|timed out|Timeout/i);
  assert.match(rec.find((x) => x.customer_id === cs[1].id).last_error, /400/);
  // a gateway URL that is not http(s) is refused
  const bad = await srv.req('PUT', '/api/v1/campaign-settings', { sms_url: 'file:///etc/passwd' });
  assert.equal(bad.status, 422);
  assert.match(JSON.stringify(bad.json), /sms_url/);
});

test('postal mail: labels and personalised letters; phone: call tasks for agents', async () => {
  const a = await customer({ first_name: 'Anne', addresses: [{ line1: '3 rue des Lilas', postal_code: '69003', city: 'Lyon', country: 'FR' }] }, []);
  const noaddr = await customer({}, []);
  const optout = await customer({ addresses: [{ line1: '1 rue X', postal_code: '75001', city: 'Paris', country: 'FR' }] }, [['mail', 'marketing', false]]);
  const c = await campaign({ name: 'Letters', channel: 'mail', body_fr: 'Chère {{ first_name }}, à {{ city }}', customer_ids: [a.id, noaddr.id, optout.id] });
  const l = await launch(c.id);
  assert.deepEqual(l.launch.excluded_by_reason, { no_address: 1, consent_withdrawn: 1 });
  let r = await fetch(`${srv.base}/api/v1/campaigns/${c.id}/export?kind=labels`, { headers: { authorization: `Bearer ${srv.token}` } });
  assert.equal(r.status, 200);
  const labels = await r.text();
  assert.match(labels, /"customer_id","name","line1"/);
  assert.match(labels, new RegExp(`"${a.id}","Anne Martin","3 rue des Lilas","","69003","Lyon","FR"`));
  assert.equal(labels.trim().split('\r\n').length, 2);
  r = await fetch(`${srv.base}/api/v1/campaigns/${c.id}/export?kind=letters`, { headers: { authorization: `Bearer ${srv.token}` } });
  assert.match(await r.text(), /"Chère Anne, à Lyon"/);
  const p = await customer({ phone: '+33698765432' }, []);
  const pc = await campaign({ name: 'Calls', channel: 'phone', body_fr: 'Proposer le spa à {{ first_name }}', customer_ids: [p.id] });
  await launch(pc.id);
  const calls = (await srv.req('GET', `/api/v1/campaigns/${pc.id}/call-list`)).json.items;
  assert.equal(calls.length, 1);
  assert.ok(calls[0].task_id > 0);
  const task = await srv.req('GET', `/api/v1/tasks/${calls[0].task_id}`);
  assert.equal(task.status, 200);
  assert.equal(task.json.kind, 'call');
});

test('newsletter with double opt-in: confirmation link, consent recorded, replay refused, issue to confirmed only', async () => {
  let r = await srv.req('POST', '/api/v1/newsletters', { name: 'La lettre', description: 'monthly' });
  assert.equal(r.status, 201);
  const nl = r.json;
  const sub = await customer({}, []);
  const pending = await customer({}, []);
  for (const cu of [sub, pending]) {
    r = await srv.req('POST', `/api/v1/newsletters/${nl.id}/subscriptions`, { customer_id: cu.id });
    assert.equal(r.status, 202);
    assert.equal(r.json.status, 'pending');
  }
  const mail = await until('confirmation', () => smtp.to(sub.email)[0]);
  assert.match(mail.subject, /Confirmez votre inscription/);
  const link = mail.data.replace(/=\r\n/g, '').match(/(\/api\/v1\/newsletters\/confirm\/[a-z0-9.]+)/)[1];
  r = await srv.req('GET', link, undefined, { auth: null });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  r = await srv.req('GET', link, undefined, { auth: null });
  assert.equal(r.status, 409);
  const ledger = (await srv.req('GET', `/api/v1/customers/${sub.id}/consents`)).json.items;
  assert.equal(ledger.at(-1).purpose, 'newsletter');
  assert.equal(ledger.at(-1).source, 'double opt-in');
  const list = (await srv.req('GET', '/api/v1/newsletters')).json.items.find((x) => x.id === nl.id);
  assert.equal(list.confirmed, 1);
  assert.equal(list.pending, 1);
  const issue = await campaign({ name: 'Issue 1', newsletter_id: nl.id, subject_fr: 'La lettre', body_fr: 'Bonjour' });
  assert.equal(issue.purpose, 'newsletter');
  const l = await launch(issue.id);
  assert.equal(l.launch.audience, 1);
  assert.equal(l.launch.queued, 1);
});

test('scheduling and quiet hours defer; roles are enforced', async () => {
  const cu = await customer();
  const later = new Date(Date.now() + 3600e3).toISOString();
  const c = await campaign({ name: 'Later', scheduled_at: later, customer_ids: [cu.id] });
  assert.equal(c.status, 'scheduled');
  const l = await launch(c.id);
  assert.equal(l.status, 'scheduled');
  assert.equal((await srv.req('GET', `/api/v1/campaigns/${c.id}/results`)).json.audience, 0);
  // quiet hours around now: the message waits in the queue
  const now = new Date();
  const hh = (d) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  await settings({ quiet_start: hh(new Date(now - 3600e3)), quiet_end: hh(new Date(+now + 3600e3)) });
  const q = await customer();
  const qc = await campaign({ name: 'Quiet', customer_ids: [q.id] });
  await launch(qc.id);
  await new Promise((r) => setTimeout(r, 700));
  const rec = (await srv.req('GET', `/api/v1/campaigns/${qc.id}/results`)).json;
  assert.equal(rec.messages.pending, 1);
  assert.equal(smtp.to(q.email).length, 0);
  await settings({ quiet_start: null, quiet_end: null });
  const analyst = await userWithRole(srv, 'analyst');
  let r = await srv.req('POST', '/api/v1/campaigns', { name: 'x', channel: 'email' }, { auth: analyst.token });
  assert.equal(r.status, 403);
  r = await srv.req('GET', '/api/v1/campaigns', undefined, { auth: null });
  assert.equal(r.status, 401);
  const mk = await userWithRole(srv, 'marketing');
  r = await srv.req('PUT', '/api/v1/campaign-settings', { rate_per_sec: 1 }, { auth: mk.token });
  assert.equal(r.status, 403);
  r = await srv.req('GET', '/api/v1/campaign-settings', undefined, { auth: mk.token });
  assert.equal(r.status, 200);
  assert.equal(r.json.smtp_password_set, false);
});

test('audience from a segment; recommended products and noted interests in the message', async () => {
  const tag = `spa-${Date.now()}`;
  const fan1 = await customer({ tags: [tag] });
  const fan2 = await customer({ tags: [tag] });
  await customer(); // not in the segment
  let r = await srv.req('POST', '/api/v1/segments', { name: `Spa fans ${tag}`, expr: `tags contains ${tag}` });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const segId = r.json.id;
  // what others bought: fan2 owns the cream, a buyer of the cream also bought the serum
  const mk = async (sku, name) => (await srv.req('POST', '/api/v1/products', { sku: `${sku}-${tag}`, name, price_minor: 2500, currency: 'EUR' })).json.id;
  const cream = await mk('CREAM', 'Crème de nuit');
  const serum = await mk('SERUM', 'Sérum éclat');
  const other = await customer({}, []);
  for (const [cid, lines] of [[other.id, [cream, serum]], [fan2.id, [cream]]]) {
    r = await srv.req('POST', '/api/v1/orders', { customer_id: cid, currency: 'EUR', lines: lines.map((p) => ({ product_id: p, quantity: 1, unit_price_minor: 2500 })) });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  r = await srv.req('POST', '/api/v1/interactions', { customer_id: fan1.id, channel: 'store', direction: 'inbound', kind: 'interest', offer: 'Abonnement spa' });
  assert.equal(r.status, 201);
  const c = await campaign({
    name: 'Segment', segment_id: segId,
    body_fr: '{% for i in interests %}Vous aimez : {{ i.name }}. {% endfor %}{% if recommendations %}Pour vous :{% for p in recommendations %} {{ p.name }} ({{ p.price }}){% endfor %}{% endif %}',
  });
  const p = (await srv.req('POST', `/api/v1/campaigns/${c.id}/preview`)).json;
  assert.equal(p.audience, 2);
  const body = Object.fromEntries(p.samples.map((s) => [s.customer_id, s.body]));
  assert.match(body[fan1.id], /Vous aimez : Abonnement spa\./);
  assert.match(body[fan2.id], /Pour vous : Sérum éclat \(25\.00 EUR\)/);
  assert.equal((await launch(c.id)).launch.queued, 2);
  // an unknown segment is a clear error
  const bad = await campaign({ name: 'No segment', segment_id: 999999 });
  r = await srv.req('POST', `/api/v1/campaigns/${bad.id}/launch`);
  assert.equal(r.status, 422);
  assert.match(JSON.stringify(r.json), /segment_id/);
});

test('the command line: launch, results, send-queue, usage errors', async () => {
  const cu = await customer();
  const c = await campaign({ name: 'CLI', customer_ids: [cu.id] });
  let r = cli(['campaign', 'send', String(c.id), '--db', srv.db]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).launch.queued, 1);
  r = cli(['campaign', 'send', String(c.id), '--db', srv.db]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot be launched/);
  await settle(c.id);
  r = cli(['campaign', 'results', String(c.id), '--db', srv.db]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).delivered, 1);
  r = cli(['campaign', 'send-queue', '--db', srv.db, '--json', '--max-seconds', '5']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).sent, 0); // nothing due: the server's worker sent it
  assert.equal(cli(['campaign', 'send', 'abc', '--db', srv.db]).status, 1);
  assert.equal(cli(['campaign', 'frobnicate', '1', '--db', srv.db]).status, 1);
  assert.equal(cli(['campaign', '--db', srv.db]).status, 1);
});
