// The customer portal through its public API (/portal/v1/): sign-in by
// e-mailed link (a real SMTP server, single use) and by password (lockout),
// its own session and CSRF, profile, preferences, call-back, consents with
// history, orders, tickets, offers, data export and erasure request; and for
// every route, another customer's records answer 404 and stay unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, person, freePort, BIN } from './harness.mjs';
import { startSmtpSink } from './sinks.mjs';

const NOW = '2026-03-10T12:00:00Z';
let srv, smtp, alice, bob, aliceOrder, bobOrder, bobTicket;

function qpDecode(s) {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

/** A portal client: the relatio_portal cookie and the CSRF token. */
class Portal {
  constructor() { this.cookie = ''; this.csrf = ''; }
  async req(method, url, body, { csrf = true } = {}) {
    const headers = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (csrf && this.csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(srv.base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = text; }
    const set = r.headers.get('set-cookie');
    if (set && set.startsWith('relatio_portal=')) {
      assert.match(set, /HttpOnly/);
      assert.match(set, /SameSite=Strict/);
      this.cookie = set.split(';')[0];
    }
    if (json && json.csrf_token) this.csrf = json.csrf_token;
    return { status: r.status, json };
  }
}

async function linkFor(email) {
  const before = smtp.to(email).length;
  const r = await new Portal().req('POST', '/portal/v1/auth/link', { email });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  const mails = smtp.to(email);
  assert.equal(mails.length, before + 1);
  const m = /#\/portal\/link\/([0-9a-f]{64})/.exec(qpDecode(mails.at(-1).data));
  assert.ok(m, 'the mail carries the link');
  assert.match(qpDecode(mails.at(-1).data), /http:\/\/portal\.test\/#\/portal\/link\//);
  return m[1];
}

async function signedIn(email) {
  const p = new Portal();
  const r = await p.req('POST', '/portal/v1/auth/redeem', { token: await linkFor(email) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return p;
}

let aliceSession;
/** One portal session of Alice for the whole file (links are rate-limited). */
async function asAlice() {
  aliceSession ??= await signedIn(alice.email);
  return aliceSession;
}

before(async () => {
  smtp = await startSmtpSink();
  srv = await startServer({ env: { RELATIO_NOW: NOW, RELATIO_SMTP_URL: smtp.url, RELATIO_PUBLIC_URL: 'http://portal.test/' } });
  alice = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Alice', last_name: 'Durand' }))).json;
  bob = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Bob', last_name: 'Leroy' }))).json;
  const order = (cid, ref) => srv.req('POST', '/api/v1/orders', { customer_id: cid, external_id: ref, ordered_at: '2026-01-05', currency: 'EUR', lines: [{ sku: 'P1', description: 'Thing', quantity: 1, unit_price_minor: 1500 }] });
  const ao = await order(alice.id, 'A-1');
  assert.equal(ao.status, 201, JSON.stringify(ao.json));
  aliceOrder = ao.json;
  bobOrder = (await order(bob.id, 'B-1')).json;
  const t = await srv.req('POST', '/api/v1/tickets', { customer_id: bob.id, kind: 'complaint', subject: 'Late delivery', body: 'Where is it?' });
  assert.equal(t.status, 201, JSON.stringify(t.json));
  bobTicket = t.json;
});
after(async () => { await srv.stop(); await smtp.stop(); });

test('sign-in link: e-mailed, single use; unknown addresses answer the same and get nothing', async () => {
  const token = await linkFor(alice.email);
  const p = new Portal();
  const r = await p.req('POST', '/portal/v1/auth/redeem', { token });
  assert.equal(r.status, 200);
  assert.equal(r.json.customer.id, alice.id);
  assert.match(r.json.csrf_token, /^[0-9a-f]{64}$/);
  const again = await new Portal().req('POST', '/portal/v1/auth/redeem', { token });
  assert.equal(again.status, 401);
  const forged = await new Portal().req('POST', '/portal/v1/auth/redeem', { token: 'a'.repeat(64) });
  assert.equal(forged.status, 401);
  const n = smtp.messages().length;
  const unknown = await new Portal().req('POST', '/portal/v1/auth/link', { email: 'nobody@example.org' });
  assert.equal(unknown.status, 202);
  assert.equal(smtp.messages().length, n);
  const bad = await new Portal().req('POST', '/portal/v1/auth/link', { email: 'not-an-address' });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'email');
});

test('portal realm: no cookie, a staff token or a missing CSRF token are refused', async () => {
  assert.equal((await new Portal().req('GET', '/portal/v1/me')).status, 401);
  const staff = await srv.req('GET', '/portal/v1/me'); // bearer token of an admin
  assert.equal(staff.status, 401);
  const p = await asAlice();
  const r = await p.req('PATCH', '/portal/v1/me', { language: 'fr' }, { csrf: false });
  assert.equal(r.status, 403);
  assert.equal(r.json.errors[0].field, 'X-CSRF-Token');
  // the portal cookie opens nothing on the staff API
  const s = await fetch(`${srv.base}/api/v1/customers/${alice.id}`, { headers: { cookie: p.cookie } });
  assert.equal(s.status, 401);
});

test('profile, preferences, interests and call-back; audited as the customer', async () => {
  const p = await asAlice();
  const me = await p.req('GET', '/portal/v1/me');
  assert.equal(me.json.customer.email, alice.email);
  assert.equal(me.json.customer.flags, undefined); // staff-only data stays staff-only
  const u = await p.req('PATCH', '/portal/v1/me', { preferred_channel: 'sms', interests: ['trips', 'spa'], language: 'fr' });
  assert.equal(u.status, 200, JSON.stringify(u.json));
  assert.equal(u.json.preferred_channel, 'sms');
  const staffView = await srv.req('GET', `/api/v1/customers/${alice.id}`);
  assert.equal(staffView.json.preferred_channel, 'sms');
  assert.deepEqual([...staffView.json.interests].sort(), ['spa', 'trips']);
  const bad = await p.req('PATCH', '/portal/v1/me', { preferred_channel: 'pigeon' });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'preferred_channel');
  const cb = await p.req('POST', '/portal/v1/me/callback', { note: 'About my order' });
  assert.equal(cb.status, 201, JSON.stringify(cb.json));
  assert.ok(cb.json.callback_requested_at);
  const audit = await srv.req('GET', `/api/v1/customers/${alice.id}/audit`);
  assert.ok(audit.json.items.some((a) => /^customer:\d+ \(portal\)$/.test(a.actor)), JSON.stringify(audit.json.items.map((a) => a.actor)));
});

test('consents: grant then withdraw, the whole history kept', async () => {
  const p = await asAlice();
  assert.equal((await p.req('POST', '/portal/v1/consents', { channel: 'email', purpose: 'newsletter', granted: true })).status, 201);
  assert.equal((await p.req('POST', '/portal/v1/consents', { channel: 'email', purpose: 'newsletter', granted: false })).status, 201);
  const h = await p.req('GET', '/portal/v1/consents');
  const mine = (h.json.items ?? h.json).filter((x) => x.purpose === 'newsletter');
  assert.deepEqual(mine.map((x) => x.granted), [true, false]);
  const bad = await p.req('POST', '/portal/v1/consents', { channel: 'email', purpose: 'newsletter', granted: true, legal_basis: 'legitimate_interest' });
  assert.equal(bad.status, 422);
});

test('another customer\'s records: 404 on every route, never data, nothing changed', async () => {
  const p = await asAlice();
  const orders = await p.req('GET', '/portal/v1/orders');
  assert.deepEqual(orders.json.items.map((o) => o.id), [aliceOrder.id]);
  assert.equal((await p.req('GET', `/portal/v1/orders/${aliceOrder.id}`)).status, 200);
  const o = await p.req('GET', `/portal/v1/orders/${bobOrder.id}`);
  assert.equal(o.status, 404);
  assert.equal(JSON.stringify(o.json).includes('B-1'), false);
  const t = await p.req('GET', `/portal/v1/tickets/${bobTicket.id}`);
  assert.equal(t.status, 404);
  assert.equal(JSON.stringify(t.json).includes('Late delivery'), false);
  const r = await p.req('POST', `/portal/v1/tickets/${bobTicket.id}/replies`, { body: 'hijack' });
  assert.equal(r.status, 404);
  const staffTicket = await srv.req('GET', `/api/v1/tickets/${bobTicket.id}`);
  assert.equal(JSON.stringify(staffTicket.json).includes('hijack'), false);
  const list = await p.req('GET', '/portal/v1/tickets');
  assert.equal(list.json.items.some((x) => x.id === bobTicket.id), false);
  // ids in bodies are not accepted either
  const body = await p.req('PATCH', '/portal/v1/me', { id: bob.id, first_name: 'Mallory' });
  assert.equal(body.status, 422);
  const c = await p.req('POST', '/portal/v1/consents', { customer_id: bob.id, channel: 'sms', purpose: 'marketing', granted: true });
  assert.equal(c.status, 422);
  const bobNow = await srv.req('GET', `/api/v1/customers/${bob.id}`);
  assert.equal(bobNow.json.first_name, 'Bob');
  const bobConsents = await srv.req('GET', `/api/v1/customers/${bob.id}/consents`);
  assert.equal((bobConsents.json.items ?? bobConsents.json).length, 0);
  const exp = await p.req('GET', '/portal/v1/export');
  assert.equal(JSON.stringify(exp.json).includes(bob.email), false);
  assert.equal(JSON.stringify(exp.json).includes('Late delivery'), false);
});

test('tickets: open, follow, reply; internal notes stay internal', async () => {
  const p = await asAlice();
  const t = await p.req('POST', '/portal/v1/tickets', { kind: 'assistance', subject: 'Cannot log in', body: 'The app says no.' });
  assert.equal(t.status, 201, JSON.stringify(t.json));
  assert.equal(t.json.channel, 'portal');
  const note = await srv.req('POST', `/api/v1/tickets/${t.json.id}/messages`, { body: 'VIP, be nice', internal: true });
  assert.equal(note.status, 201, JSON.stringify(note.json));
  const reply = await srv.req('POST', `/api/v1/tickets/${t.json.id}/messages`, { body: 'Please try again now.', status: 'waiting' });
  assert.equal(reply.status, 201, JSON.stringify(reply.json));
  const mine = await p.req('POST', `/portal/v1/tickets/${t.json.id}/replies`, { body: 'It works, thanks' });
  assert.equal(mine.status, 201, JSON.stringify(mine.json));
  assert.deepEqual(mine.json.messages.map((m) => m.body), ['The app says no.', 'Please try again now.', 'It works, thanks']);
  assert.equal(mine.json.status, 'open'); // the customer's reply reopens it
  assert.equal(JSON.stringify(mine.json).includes('VIP'), false);
  const bad = await p.req('POST', '/portal/v1/tickets', { subject: 'x' });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'body');
});

test('offers, loyalty card, knowledge base', async () => {
  const p = await asAlice();
  await srv.req('PUT', `/api/v1/customers/${alice.id}/personalization/offer`, { content: { title: 'Spa weekend -15%' } });
  const o = await p.req('GET', '/portal/v1/offers');
  assert.deepEqual(o.json.content, { offer: { title: 'Spa weekend -15%' } });
  const l = await p.req('GET', '/portal/v1/loyalty');
  assert.equal(l.status, 200, JSON.stringify(l.json));
  assert.ok('member' in l.json);
  const kb = await p.req('GET', '/portal/v1/kb?q=delivery');
  assert.equal(kb.status, 200, JSON.stringify(kb.json));
  assert.ok(Array.isArray(kb.json.items));
  assert.equal((await p.req('GET', '/portal/v1/kb')).status, 400);
});

test('download my data; erasure request filed once', async () => {
  const p = await asAlice();
  const e = await p.req('GET', '/portal/v1/export');
  assert.equal(e.status, 200);
  assert.equal(e.json.profile.email, alice.email);
  assert.deepEqual(e.json.orders.items.map((o) => o.id), [aliceOrder.id]);
  const r = await p.req('POST', '/portal/v1/erasure', { note: 'Please forget me' });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.equal(r.json.status, 'open');
  assert.equal((await p.req('POST', '/portal/v1/erasure', {})).status, 409);
  const audit = await srv.req('GET', `/api/v1/customers/${alice.id}/audit`);
  assert.ok(audit.json.items.some((a) => a.action === 'erasure_request'));
});

test('password: set, sign in, sign out; five wrong passwords lock the account', async () => {
  const p = await signedIn(bob.email);
  assert.equal((await p.req('POST', '/portal/v1/me/password', { password: 'short' })).status, 422);
  assert.equal((await p.req('POST', '/portal/v1/me/password', { password: 'bob-secret-1' })).status, 204);
  assert.equal((await p.req('POST', '/portal/v1/auth/logout')).status, 204);
  assert.equal((await p.req('GET', '/portal/v1/me')).status, 401);
  const q = new Portal();
  const ok = await q.req('POST', '/portal/v1/auth/login', { email: bob.email, password: 'bob-secret-1' });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.customer.id, bob.id);
  assert.equal((await q.req('GET', '/portal/v1/me')).json.customer.id, bob.id);
  for (let i = 0; i < 5; i++) {
    assert.equal((await new Portal().req('POST', '/portal/v1/auth/login', { email: bob.email, password: 'wrong-pass-x' })).status, 401);
  }
  const locked = await new Portal().req('POST', '/portal/v1/auth/login', { email: bob.email, password: 'bob-secret-1' });
  assert.equal(locked.status, 429);
  // no account for this address: the same 401 as a wrong password
  assert.equal((await new Portal().req('POST', '/portal/v1/auth/login', { email: 'nobody@example.org', password: 'whatever-1' })).status, 401);
});

test('surveys: a customer answers in their space; the score lands on their record only', async () => {
  const sv = await srv.req('POST', '/api/v1/surveys', { name: 'Site satisfaction', kind: 'csat', question: 'Are you satisfied with our site?', questions: [] });
  assert.equal(sv.status, 201, JSON.stringify(sv.json));
  const p = await asAlice();
  const bad = await p.req('POST', `/portal/v1/surveys/${sv.json.id}/answers`, { score: 9 });
  assert.equal(bad.status, 422);
  const a = await p.req('POST', `/portal/v1/surveys/${sv.json.id}/answers`, { score: 2, comment: 'Too slow' });
  assert.equal(a.status, 201, JSON.stringify(a.json));
  const mine = await p.req('GET', '/portal/v1/surveys');
  assert.equal(mine.status, 200);
  assert.ok(JSON.stringify(mine.json).includes('Too slow'));
  const bobs = await srv.req('GET', `/api/v1/customers/${bob.id}/timeline?kind=survey`);
  assert.equal(bobs.json.items.length, 0);
  const alices = await srv.req('GET', `/api/v1/customers/${alice.id}/timeline?kind=survey`);
  assert.equal(alices.json.items.length, 1);
});

test('sign-in links: at most five an hour per customer, the sixth silently not sent', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Carl' }))).json;
  for (let i = 0; i < 5; i++) await linkFor(c.email);
  const r = await new Portal().req('POST', '/portal/v1/auth/link', { email: c.email });
  assert.equal(r.status, 202);
  assert.equal(smtp.to(c.email).length, 5);
});

test('a sign-in link expires after 15 minutes', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Dana' }))).json;
  const token = await linkFor(c.email);
  // the same database seen by a second server 16 minutes later
  const port = await freePort();
  const later = new Date(Date.parse(NOW) + 16 * 60e3).toISOString();
  const proc = spawn(BIN, ['serve', '--db', srv.db, '--port', String(port), '--bind', '127.0.0.1'],
    { env: { ...process.env, RELATIO_NOW: later, RELATIO_PWHASH: 'fast', RELATIO_LOG: 'warn' }, stdio: 'ignore' });
  const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  try {
    for (let i = 0; ; i++) {
      try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* starting */ }
      assert.ok(i < 200, 'second server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await fetch(`http://127.0.0.1:${port}/portal/v1/auth/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    assert.equal(r.status, 401);
  } finally {
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
  // 15 minutes are not over on the first server: the link still works there
  assert.equal((await new Portal().req('POST', '/portal/v1/auth/redeem', { token })).status, 200);
});
