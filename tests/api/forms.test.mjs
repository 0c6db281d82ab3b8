// Web forms and lead capture through the public API: form definitions
// (validation naming the field, roles), the public side a site embeds
// (plain HTML posts and JSON, CORS), what a submission does (prospect
// created or completed, provenance, consent ledger with the wording,
// interests, timeline, event log, rules, tracking history), each kind
// (contact, newsletter, contest, event, referral) and the spam barriers
// (honeypot, rate limits, proof-of-work, replays) - bad input changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, person, userWithRole } from './harness.mjs';

const NOW = '2026-06-02T10:00:00Z';
const ORIGIN = 'https://shop.example';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const WORDING = 'J\'accepte de recevoir les offres de Relatio par e-mail. Désinscription à tout moment.';
let srv;

before(async () => { srv = await startServer({ env: { RELATIO_NOW: NOW } }); });
after(async () => { await srv.stop(); });

let seq = 0;
const uniq = () => `${Date.now().toString(36)}${++seq}`;

function contactForm(extra = {}) {
  return {
    name: `Contact ${uniq()}`,
    kind: 'contact',
    title: 'Contactez-nous',
    fields: [
      { name: 'email', label: 'E-mail', type: 'email', maps_to: 'email', required: true },
      { name: 'first_name', label: 'Prénom', maps_to: 'first_name' },
      { name: 'last_name', label: 'Nom', maps_to: 'last_name', required: true },
      { name: 'zip', label: 'Code postal', maps_to: 'postal_code' },
      { name: 'topic', label: 'Sujet', type: 'select', options: ['Spa', 'Voyage'], maps_to: 'interest' },
      { name: 'message', label: 'Message', type: 'textarea', maps_to: 'message' },
    ],
    consents: [{ name: 'optin', channel: 'email', purpose: 'marketing', wording: WORDING }],
    hidden: [{ name: 'campaign', value: 'printemps' }, { name: 'source', value: null }],
    ...extra,
  };
}

async function createForm(body) {
  const r = await srv.req('POST', '/api/v1/forms', body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.match(r.json.key, /^[0-9a-f]{32}$/);
  return r.json;
}

/** A plain HTML form post (no script) from another site. */
function post(key, fields, { origin = ORIGIN, accept, raw } = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA, referer: `${ORIGIN}/contact` };
  if (origin) headers.origin = origin;
  if (accept) headers.accept = accept;
  const body = raw ?? new URLSearchParams(fields).toString();
  return srv.req('POST', `/f/${key}`, undefined, { auth: null, headers, raw: body });
}

const postJson = (key, body, headers = {}) =>
  srv.req('POST', `/f/${key}`, body, { auth: null, headers: { 'user-agent': UA, ...headers } });

const findCustomer = async (email) => {
  const r = await srv.req('GET', `/api/v1/customers?q=${encodeURIComponent(email)}`);
  assert.equal(r.status, 200);
  return r.json.items;
};
const submissions = async (id, q = '') => (await srv.req('GET', `/api/v1/forms/${id}/submissions?limit=500${q}`)).json.items;
/** The customer of the form's latest submission (the public answer names none). */
const lastCustomer = async (formId) => ({ id: (await submissions(formId))[0].customer_id });

test('definitions: validated naming the field, nothing stored on refusal; roles', async () => {
  const cases = [
    [{ ...contactForm(), fields: [{ name: 'n', label: 'Nom', maps_to: 'last_name' }] }, 'fields'],
    [{ ...contactForm(), fields: [{ name: 'email', label: 'E', type: 'text', maps_to: 'email', required: true }] }, 'fields[0].type'],
    [{ ...contactForm(), fields: [{ name: 'email', label: 'E', type: 'email', maps_to: 'email' }] }, 'fields[0].required'],
    [{ ...contactForm(), consents: [{ name: 'email', channel: 'email', purpose: 'x', wording: 'w' }] }, 'consents[0].name'],
    [{ ...contactForm(), hidden: [{ name: '_hp' }] }, 'hidden[0].name'],
    [{ ...contactForm(), fields: [...contactForm().fields, { name: 'c', label: 'C', type: 'select', maps_to: 'none' }] }, 'fields[6].options'],
    [{ ...contactForm(), kind: 'newsletter' }, 'newsletter_id'],
    [{ ...contactForm(), kind: 'referral' }, 'fields'],
    [{ ...contactForm(), kind: 'poll' }, 'kind'],
    [{ ...contactForm(), pow_bits: 40 }, 'pow_bits'],
    [{ ...contactForm(), origins: ['shop.example'] }, 'origins[0]'],
    [{ ...contactForm(), success_url: 'javascript:alert(1)' }, 'success_url'],
    [{ ...contactForm(), site_key: 'nope' }, 'site_key'],
    [{ ...contactForm(), consents: [{ name: 'c', channel: 'email', purpose: 'x' }] }, 'consents[0].wording'],
  ];
  const before = (await srv.req('GET', '/api/v1/forms?limit=500')).json.items.length;
  for (const [body, field] of cases) {
    const r = await srv.req('POST', '/api/v1/forms', body);
    assert.equal(r.status, 422, `${field}: ${JSON.stringify(r.json)}`);
    assert.match(r.headers.get('content-type'), /application\/problem\+json/);
    assert.equal(r.json.errors[0].field, field, JSON.stringify(r.json));
  }
  assert.equal((await srv.req('GET', '/api/v1/forms?limit=500')).json.items.length, before);
  const f = await createForm(contactForm());
  assert.equal((await srv.req('POST', '/api/v1/forms', { ...contactForm(), name: f.name })).status, 409);
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('POST', '/api/v1/forms', contactForm(), { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('GET', `/api/v1/forms/${f.id}`, undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/forms')).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/forms', undefined, { auth: null })).status, 401);
  const p = await srv.req('PATCH', `/api/v1/forms/${f.id}`, { title: 'Nouveau titre', pow_bits: 4 });
  assert.equal(p.status, 200, JSON.stringify(p.json));
  assert.equal(p.json.title, 'Nouveau titre');
  assert.equal(p.json.fields.length, 6, 'the fields stay');
  const bad = await srv.req('PATCH', `/api/v1/forms/${f.id}`, { fields: [] });
  assert.equal(bad.status, 422);
  assert.equal((await srv.req('GET', `/api/v1/forms/${f.id}`)).json.fields.length, 6);
});

test('public description: fields and consent wording, nothing internal; closed and unknown forms are 404', async () => {
  const f = await createForm(contactForm({ max_per_ip: 0 }));
  const r = await srv.req('GET', `/f/${f.key}`, undefined, { auth: null, headers: { origin: ORIGIN } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
  assert.equal(r.json.fields.length, 6);
  assert.equal(r.json.consents[0].wording, WORDING);
  assert.equal(r.json.fields[0].maps_to, undefined);
  assert.equal(r.json.id, undefined);
  assert.equal((await srv.req('GET', '/f/0123456789abcdef0123456789abcdef', undefined, { auth: null })).status, 404);
  await srv.req('PATCH', `/api/v1/forms/${f.id}`, { status: 'closed' });
  assert.equal((await srv.req('GET', `/f/${f.key}`, undefined, { auth: null })).status, 404);
  assert.equal((await post(f.key, { email: 'x@example.fr', last_name: 'X' })).status, 404);
});

test('a plain HTML post creates the prospect with provenance, consent wording, interest, timeline, event and audit', async () => {
  const f = await createForm(contactForm({ max_per_ip: 0, thanks: 'Merci <b>beaucoup</b> & à bientôt' }));
  const email = `claire.${uniq()}@example.fr`;
  const r = await post(f.key, {
    email: `  ${email.toUpperCase()} `, first_name: 'Claire', last_name: 'Dubois', zip: '69003', topic: 'Spa',
    message: '<script>alert("x")</script> Bonjour', optin: 'on', source: 'homepage',
  }, { accept: 'text/html,application/xhtml+xml' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  // the thank-you page shows the form's text escaped
  assert.match(r.json, /Merci &lt;b&gt;beaucoup&lt;\/b&gt; &amp; à bientôt/);
  assert.doesNotMatch(r.json, /<b>/);
  const c = await lastCustomer(f.id);
  assert.ok(c.id, 'the prospect exists');
  const full = (await srv.req('GET', `/api/v1/customers/${c.id}`)).json;
  assert.equal(full.email, email);
  assert.equal(full.first_name, 'Claire');
  assert.equal(full.lifecycle, 'prospect');
  assert.equal(full.source.kind, 'form');
  assert.equal(full.source.name, `web form: ${f.name}`);
  assert.deepEqual(full.interests, ['Spa']);
  assert.equal(full.addresses[0].postal_code, '69003');
  const ledger = (await srv.req('GET', `/api/v1/customers/${c.id}/consents`)).json.items;
  assert.equal(ledger.length, 1);
  assert.equal(ledger[0].channel, 'email');
  assert.equal(ledger[0].purpose, 'marketing');
  assert.equal(ledger[0].granted, true);
  assert.ok(ledger[0].proof.startsWith(WORDING), ledger[0].proof);
  assert.match(ledger[0].proof, new RegExp(`web form ${f.key}`));
  assert.match(ledger[0].proof, /page https:\/\/shop\.example\/contact/);
  const subs = await submissions(f.id);
  assert.equal(subs.length, 1);
  assert.equal(subs[0].customer_id, c.id);
  assert.equal(subs[0].created, true);
  assert.equal(subs[0].status, 'accepted');
  assert.equal(subs[0].campaign, 'printemps');
  assert.equal(subs[0].source, 'homepage');
  assert.equal(subs[0].page_url, `${ORIGIN}/contact`);
  assert.equal(subs[0].ip, '127.0.0.1');
  // scripts are stored exactly as typed (shown escaped by the web app)
  assert.equal(subs[0].data.message, '<script>alert("x")</script> Bonjour');
  const tl = (await srv.req('GET', `/api/v1/customers/${c.id}/timeline?limit=50`)).json.items;
  const kinds = tl.map((x) => x.kind);
  assert.ok(kinds.includes('form'), JSON.stringify(kinds));
  assert.ok(kinds.includes('interaction'));
  assert.ok(kinds.includes('consent'));
  assert.equal(tl.find((x) => x.kind === 'interaction').detail, '<script>alert("x")</script> Bonjour');
  assert.equal((await srv.req('GET', `/api/v1/customers/${c.id}/timeline?kind=form`)).json.items.length, 1);
  const ev = (await srv.req('GET', `/api/v1/events?customer_id=${c.id}&type=form.submitted`)).json.items;
  assert.equal(ev.length, 1);
  assert.deepEqual(ev[0].data, {
    form_id: f.id, form_key: f.key, form: f.name, kind: 'contact', submission_id: subs[0].id,
    created: true, campaign: 'printemps', source: 'homepage', visitor_joined: false,
  });
  const audit = (await srv.req('GET', `/api/v1/customers/${c.id}/audit`)).json.items;
  assert.ok(audit.some((a) => a.action === 'create' && a.actor === `web form ${f.key}`), JSON.stringify(audit));
  const got = (await srv.req('GET', `/api/v1/forms/${f.id}`)).json;
  assert.equal(got.submissions, 1);
  assert.equal(got.prospects_created, 1);
});

test('a second submission completes the same customer (duplicate check) without overwriting what it knew', async () => {
  const f = await createForm(contactForm({ max_per_ip: 0 }));
  const known = (await srv.req('POST', '/api/v1/customers', person({ first_name: 'Paul', last_name: 'Durand', phone: null }))).json;
  const r = await postJson(f.key, { email: known.email.toUpperCase(), first_name: 'Pirate', last_name: 'Hacker', topic: 'Voyage', zip: '75011' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.status, 'received');
  assert.equal((await lastCustomer(f.id)).id, known.id, 'no duplicate: the same customer');
  const c = (await srv.req('GET', `/api/v1/customers/${known.id}`)).json;
  assert.equal(c.first_name, 'Paul');
  assert.equal(c.last_name, 'Durand');
  assert.deepEqual(c.interests, ['Voyage']);
  assert.equal(c.addresses[0].postal_code, '75011', 'a blank is filled');
  assert.equal(c.source, null, 'the provenance of an existing record stays');
  assert.equal((await submissions(f.id))[0].created, false);
});

test('bad input: missing, unknown, malformed, oversize - clear errors naming the field and nothing stored', async () => {
  const f = await createForm(contactForm({ max_per_ip: 0, consents: [
    { name: 'rules', channel: 'email', purpose: 'contest_rules', wording: 'J\'accepte le règlement', required: true }] }));
  const email = `bad.${uniq()}@example.fr`;
  const ok = { email, last_name: 'Bad', rules: 'on' };
  const cases = [
    [{ ...ok, email: undefined }, 422, 'email'],
    [{ ...ok, last_name: '   ' }, 422, 'last_name'],
    [{ ...ok, rules: undefined }, 422, 'rules'],
    [{ ...ok, email: 'not-an-address' }, 422, 'email'],
    [{ ...ok, topic: 'Ski' }, 422, 'topic'],
    [{ ...ok, admin: '1' }, 422, 'admin'],
    [{ ...ok, _role: 'admin' }, 422, '_role'],
    [{ ...ok, zip: '1234' }, 422, 'zip'],
    [{ ...ok, last_name: 'x'.repeat(201) }, 422, 'last_name'],
  ];
  for (const [v, status, field] of cases) {
    const body = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
    const r = await post(f.key, body);
    assert.equal(r.status, status, `${field}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.errors[0].field, field, JSON.stringify(r.json));
  }
  const dupName = await post(f.key, {}, { raw: `email=${email}&last_name=A&last_name=B&rules=on` });
  assert.equal(dupName.status, 422);
  assert.equal(dupName.json.errors[0].field, 'last_name');
  const badEsc = await post(f.key, {}, { raw: `email=${email}&last_name=%ZZ&rules=on` });
  assert.equal(badEsc.status, 400);
  assert.equal(badEsc.json.errors[0].field, 'last_name');
  const badUtf = await post(f.key, {}, { raw: `email=${email}&last_name=%C3%28&rules=on` });
  assert.equal(badUtf.status, 400);
  const big = await post(f.key, {}, { raw: `email=${email}&last_name=B&rules=on&message=${'a'.repeat(70000)}` });
  assert.equal(big.status, 413);
  const huge = await postJson(f.key, { ...ok, message: 'a'.repeat(2 * 1024 * 1024) });
  assert.equal(huge.status, 413);
  const wrongType = await srv.req('POST', `/f/${f.key}`, undefined, { auth: null, headers: { 'content-type': 'text/plain' }, raw: 'hello' });
  assert.equal(wrongType.status, 415);
  const arr = await postJson(f.key, { ...ok, last_name: ['a', 'b'] });
  assert.equal(arr.status, 422);
  assert.equal((await findCustomer(email)).length, 0, 'no prospect');
  assert.equal((await submissions(f.id)).length, 0, 'no submission');
});

test('honeypot: answered like a success, kept as spam, no prospect', async () => {
  const f = await createForm(contactForm({ max_per_ip: 0 }));
  const email = `bot.${uniq()}@example.fr`;
  const r = await post(f.key, { email, last_name: 'Bot', _hp: 'http://spam.example' });
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'received');
  assert.equal((await findCustomer(email)).length, 0);
  const spam = await submissions(f.id, '&status=spam');
  assert.equal(spam.length, 1);
  assert.equal(spam[0].customer_id, null);
  assert.equal((await submissions(f.id, '&status=accepted')).length, 0);
  assert.equal((await srv.req('GET', `/api/v1/forms/${f.id}`)).json.spam, 1);
});

test('replays: the same submission id, or the same values, are refused with 409 and change nothing', async () => {
  const f = await createForm(contactForm({ max_per_ip: 0, max_per_email: 0 }));
  const email = `replay.${uniq()}@example.fr`;
  const r1 = await post(f.key, { email, last_name: 'Replay', _nonce: 'n-1' });
  assert.equal(r1.status, 200, JSON.stringify(r1.json));
  const r2 = await post(f.key, { email, last_name: 'Replay changed', _nonce: 'n-1' });
  assert.equal(r2.status, 409);
  assert.equal(r2.json.errors[0].field, '_nonce');
  const r3 = await post(f.key, { email, last_name: 'Replay', _nonce: 'n-2' });
  assert.equal(r3.status, 409, 'same values within a day');
  const r4 = await post(f.key, { email, last_name: 'Replay', message: 'autre chose', _nonce: 'n-3' });
  assert.equal(r4.status, 200);
  assert.equal((await submissions(f.id)).length, 2);
});

test('rate limits per address and per e-mail: 429, nothing stored', async () => {
  const f = await createForm(contactForm({ max_per_ip: 3, max_per_email: 2 }));
  const a = `rate.${uniq()}@example.fr`;
  assert.equal((await post(f.key, { email: a, last_name: 'A' })).status, 200);
  assert.equal((await post(f.key, { email: a, last_name: 'B' })).status, 200);
  const e = await post(f.key, { email: a, last_name: 'C' });
  assert.equal(e.status, 429);
  assert.equal(e.json.errors[0].field, 'email');
  assert.equal((await post(f.key, { email: `other.${uniq()}@example.fr`, last_name: 'D' })).status, 200);
  const ip = await post(f.key, { email: `more.${uniq()}@example.fr`, last_name: 'E' });
  assert.equal(ip.status, 429);
  assert.equal(ip.json.errors[0].field, 'ip');
  assert.equal((await submissions(f.id)).length, 3);
});

function solve(challenge, bits) {
  for (let n = 0; ; n++) {
    const h = crypto.createHash('sha256').update(`${challenge}:${n}`).digest();
    let ok = true;
    for (let i = 0; i < bits && ok; i++) ok = !(h[i >> 3] & (0x80 >> (i & 7)));
    if (ok) return String(n);
  }
}

test('proof-of-work: required when switched on, verified, one use per challenge', async () => {
  const f = await createForm(contactForm({ max_per_ip: 0, pow_bits: 10 }));
  const email = `pow.${uniq()}@example.fr`;
  const none = await post(f.key, { email, last_name: 'Pow' });
  assert.equal(none.status, 403);
  assert.equal(none.json.errors[0].field, '_pow');
  const ch = await srv.req('POST', `/f/${f.key}/challenge`, undefined, { auth: null, headers: { origin: ORIGIN } });
  assert.equal(ch.status, 201);
  assert.equal(ch.json.bits, 10);
  assert.equal(ch.headers.get('access-control-allow-origin'), ORIGIN);
  let wrong = '0';
  while (solve(ch.json.challenge, 10) === wrong) wrong += '0';
  const bad = await post(f.key, { email, last_name: 'Pow', _pow: ch.json.challenge, _pow_nonce: 'x-not-a-solution' });
  assert.equal(bad.status, 403);
  const forged = await post(f.key, { email, last_name: 'Pow', _pow: ch.json.challenge.replace(/.$/, (c) => (c === '0' ? '1' : '0')), _pow_nonce: '1' });
  assert.equal(forged.status, 403);
  const nonce = solve(ch.json.challenge, 10);
  const ok = await post(f.key, { email, last_name: 'Pow', _pow: ch.json.challenge, _pow_nonce: nonce });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  const again = await post(f.key, { email, last_name: 'Pow', message: 'encore', _pow: ch.json.challenge, _pow_nonce: nonce });
  assert.equal(again.status, 409);
  assert.equal((await submissions(f.id)).length, 1);
});

test('origins: a site not listed may not post; listed sites get CORS; a preflight answers', async () => {
  const f = await createForm(contactForm({ max_per_ip: 0, origins: [ORIGIN] }));
  const email = `cors.${uniq()}@example.fr`;
  const evil = await post(f.key, { email, last_name: 'C' }, { origin: 'https://evil.example' });
  assert.equal(evil.status, 403);
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  const pre = await srv.req('OPTIONS', `/f/${f.key}`, undefined, { auth: null, headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
  const ok = await post(f.key, { email, last_name: 'C' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
  const noOrigin = await post(f.key, { email: `s2s.${uniq()}@example.fr`, last_name: 'S' }, { origin: null });
  assert.equal(noOrigin.status, 200, 'a server-to-server post has no Origin');
});

test('a plain HTML post with a success page is redirected there', async () => {
  const f = await createForm(contactForm({ max_per_ip: 0, success_url: 'https://shop.example/merci' }));
  const r = await fetch(`${srv.base}/f/${f.key}`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ email: `redir.${uniq()}@example.fr`, last_name: 'R' }),
  });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), 'https://shop.example/merci');
});

test('newsletter sign-up: a pending subscription awaiting the double opt-in, no consent granted yet', async () => {
  const nl = (await srv.req('POST', '/api/v1/newsletters', { name: `Lettre ${uniq()}` })).json;
  const f = await createForm(contactForm({
    kind: 'newsletter', newsletter_id: nl.id, max_per_ip: 0,
    consents: [{ name: 'nl', channel: 'email', purpose: 'newsletter', wording: 'Je veux la lettre', required: true },
      { name: 'sms', channel: 'sms', purpose: 'marketing', wording: 'Et des SMS' }],
  }));
  const email = `nl.${uniq()}@example.fr`;
  const r = await post(f.key, { email, last_name: 'Lettre', nl: 'on', sms: 'on' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const list = (await srv.req('GET', '/api/v1/newsletters')).json.items.find((x) => x.id === nl.id);
  assert.equal(list.pending, 1);
  assert.equal(list.confirmed, 0);
  const c = await lastCustomer(f.id);
  const ledger = (await srv.req('GET', `/api/v1/customers/${c.id}/consents`)).json.items;
  assert.deepEqual(ledger.map((x) => [x.channel, x.purpose]), [['sms', 'marketing']], 'the newsletter waits for its confirmation link');
});

test('contest: one entry per person; a rule on form.submitted tags the entrant', async () => {
  const rule = await srv.req('POST', '/api/v1/rules', {
    name: `contest entrants ${uniq()}`, enabled: true,
    definition: {
      trigger: { type: 'event', event: 'form.submitted' },
      conditions: [{ field: 'event.data.kind', op: 'eq', value: 'contest' }],
      steps: [{ action: 'tag', tag: 'contest-2026' }],
    },
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.json));
  const f = await createForm(contactForm({ kind: 'contest', max_per_ip: 0 }));
  const email = `contest.${uniq()}@example.fr`;
  assert.equal((await post(f.key, { email, last_name: 'Gagnant' })).status, 200);
  const again = await post(f.key, { email, last_name: 'Gagnant', message: 'deuxième chance' });
  assert.equal(again.status, 409);
  assert.equal(again.json.errors[0].field, 'email');
  const run = await srv.req('POST', '/api/v1/rules/run');
  assert.equal(run.status, 200, JSON.stringify(run.json));
  const c = await lastCustomer(f.id);
  const full = (await srv.req('GET', `/api/v1/customers/${c.id}`)).json;
  assert.ok(full.tags.includes('contest-2026'), JSON.stringify(full.tags));
});

test('event registration: one place per person, refused when full', async () => {
  const f = await createForm(contactForm({ kind: 'event', capacity: 2, max_per_ip: 0 }));
  const a = `ev.${uniq()}@example.fr`;
  assert.equal((await post(f.key, { email: a, last_name: 'A' })).status, 200);
  assert.equal((await post(f.key, { email: a, last_name: 'A', message: 'x' })).status, 409);
  assert.equal((await post(f.key, { email: `ev.${uniq()}@example.fr`, last_name: 'B' })).status, 200);
  const full = await post(f.key, { email: `ev.${uniq()}@example.fr`, last_name: 'C' });
  assert.equal(full.status, 409);
  assert.equal(full.json.errors[0].field, 'capacity');
  assert.equal((await submissions(f.id)).length, 2);
});

test('referral: the referee is linked to the referrer and both are rewarded on the first purchase', async () => {
  const sponsor = (await srv.req('POST', '/api/v1/customers', person())).json;
  const sm = (await srv.req('POST', `/api/v1/loyalty/members/${sponsor.id}`, {})).json;
  const f = await createForm(contactForm({
    kind: 'referral', max_per_ip: 0,
    fields: [
      { name: 'email', label: 'Votre e-mail', type: 'email', maps_to: 'email', required: true },
      { name: 'last_name', label: 'Nom', maps_to: 'last_name' },
      { name: 'code', label: 'Code de parrainage', maps_to: 'referral_code', required: true },
    ],
  }));
  const email = `filleul.${uniq()}@example.fr`;
  const unknown = await post(f.key, { email, last_name: 'Filleul', code: 'ZZZZZZZZ' });
  assert.equal(unknown.status, 422);
  assert.equal(unknown.json.errors[0].field, 'code');
  assert.equal((await findCustomer(email)).length, 0, 'nothing kept from the refused one');
  assert.equal((await submissions(f.id)).length, 0);
  const r = await post(f.key, { email, last_name: 'Filleul', code: sm.referral_code });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const friend = await lastCustomer(f.id);
  const fm = (await srv.req('GET', `/api/v1/loyalty/members/${friend.id}`)).json;
  assert.equal(fm.referred_by, sponsor.id);
  const before = (await srv.req('GET', `/api/v1/loyalty/members/${sponsor.id}`)).json.balance;
  await srv.req('POST', '/api/v1/orders', { customer_id: friend.id, total_minor: 2000 });
  const after = (await srv.req('GET', `/api/v1/loyalty/members/${sponsor.id}`)).json.balance;
  assert.ok(after > before, `the referrer is rewarded (${before} → ${after})`);
  const again = await post(f.key, { email, last_name: 'Filleul', code: sm.referral_code, _nonce: 'other' });
  assert.equal(again.status, 409, 'already a member');
});

test('tracking: a new prospect takes the visitor\'s anonymous history; an existing customer\'s needs a signed identify', async () => {
  const site = (await srv.req('POST', '/api/v1/tracking/sites', { name: `Shop ${uniq()}`, origins: [ORIGIN] })).json;
  const f = await createForm(contactForm({ max_per_ip: 0, site_key: site.key }));
  const collect = (visitor) => srv.req('POST', '/t/collect', {
    key: site.key, visitor, events: [{ type: 'page_view', url: `${ORIGIN}/spa` }, { type: 'product_view', url: `${ORIGIN}/spa/weekend`, product: 'SPA-1' }],
  }, { auth: null, headers: { origin: ORIGIN, 'user-agent': UA } });
  const v1 = `visitor-${uniq()}-aaaa`;
  assert.equal((await collect(v1)).status, 200);
  const email = `visitor.${uniq()}@example.fr`;
  const r = await postJson(f.key, { email, last_name: 'Visiteur', _visitor: v1 }, { origin: ORIGIN });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const c = await lastCustomer(f.id);
  const web = (await srv.req('GET', `/api/v1/customers/${c.id}/web-events`)).json.items;
  assert.equal(web.length, 2, JSON.stringify(web));
  assert.equal((await submissions(f.id))[0].visitor_joined, true);
  // someone types a known customer's address with their own visitor id
  const known = (await srv.req('POST', '/api/v1/customers', person())).json;
  const v2 = `visitor-${uniq()}-bbbb`;
  await collect(v2);
  const r2 = await postJson(f.key, { email: known.email, last_name: 'X', _visitor: v2 }, { origin: ORIGIN });
  assert.equal(r2.status, 200);
  assert.equal((await srv.req('GET', `/api/v1/customers/${known.id}/web-events`)).json.items.length, 0);
  assert.equal((await submissions(f.id))[0].visitor_joined, false);
});
