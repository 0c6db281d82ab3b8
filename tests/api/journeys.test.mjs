// The shipped templates end to end, each driven by real events through the
// public API (/t/collect, interactions, orders, surveys) to its action, with
// time moved by RELATIO_NOW (`relatio rules run`, as cron would): the four
// behavioural triggers of seed 004's table 3, its two journeys, the welcome
// programme, the win-back and the cart recovery. E-mails go to a real SMTP
// server (aiosmtpd).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer, person, BIN } from './harness.mjs';
import { startSmtpSink } from './sinks.mjs';

const NOW = '2026-09-14T08:00:00Z';
const T0 = Date.parse(NOW) / 1000;
const H = 3600;
const D = 86400;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const ORIGIN = 'https://shop.example';
const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
let srv, smtp, site, templates;

before(async () => {
  smtp = await startSmtpSink();
  srv = await startServer({ env: { RELATIO_NOW: NOW, RELATIO_SMTP_URL: smtp.url, RELATIO_MAIL_FROM: 'relatio <crm@shop.example>' } });
  const s = await srv.req('POST', '/api/v1/tracking/sites', { name: 'Shop', origins: [ORIGIN] });
  assert.equal(s.status, 201, JSON.stringify(s.json));
  site = s.json;
  templates = Object.fromEntries((await srv.req('GET', '/api/v1/rules')).json.items.map((r) => [r.template, r]));
});
after(async () => { await srv.stop(); await smtp.stop(); });

/** Switches exactly one template on. */
async function only(key) {
  for (const t of Object.values(templates)) {
    if (!t.template) continue;
    const r = await srv.req('POST', `/api/v1/rules/${t.id}/${t.template === key ? 'enable' : 'disable'}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
  return templates[key]?.id;
}
const run = async () => {
  const r = await srv.req('POST', '/api/v1/rules/run');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
};
/** `relatio rules run` at t (asynchronous: the SMTP sink must keep answering). */
const runAt = async (t) => {
  const { stdout } = await promisify(execFile)(BIN, ['rules', 'run', '--db', srv.db, '--json'], {
    env: { ...process.env, RELATIO_NOW: iso(t), RELATIO_LOG: 'error', RELATIO_SMTP_URL: smtp.url },
  });
  return JSON.parse(stdout);
};
const firings = async (ruleId, cid) => (await srv.req('GET', `/api/v1/customers/${cid}/firings`)).json.items
  .filter((f) => f.rule_id === ruleId).map((f) => [f.step, f.action, f.status]).reverse();
/** A customer who accepts marketing e-mail. */
async function reachable(extra = {}) {
  const c = await srv.req('POST', '/api/v1/customers', person(extra));
  assert.equal(c.status, 201);
  const k = await srv.req('POST', `/api/v1/customers/${c.json.id}/consents`, { channel: 'email', purpose: 'marketing', granted: true, source: 'web form' });
  assert.equal(k.status, 201);
  return c.json;
}
async function collect(visitor, events) {
  const r = await srv.req('POST', '/t/collect', { key: site.key, visitor, events }, { auth: null, headers: { origin: ORIGIN, 'user-agent': UA } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}
/** A visitor signed in as customer cid (the site's backend got a token). */
async function signedIn(cid, visitor) {
  const t = await srv.req('POST', '/api/v1/tracking/identity-tokens', { site_key: site.key, customer_id: cid });
  assert.equal(t.status, 201);
  const r = await collect(visitor, [{ type: 'identify', token: t.json.token }]);
  assert.equal(r.customer_id, cid);
}
const content = async (cid) => (await srv.req('GET', `/api/v1/customers/${cid}/personalization`)).json;
const tasks = async (cid) => (await srv.req('GET', `/api/v1/tasks?customer_id=${cid}`)).json.items;
const survey = async (kind) => (await srv.req('POST', '/api/v1/surveys', { name: `Satisfaction ${kind}`, kind })).json.id;

test('seed 004 journey 1: a bad survey score flags the customer at risk and asks an adviser to call back', async () => {
  const rule = await only('seed004.journey_bad_score');
  const csat = await survey('csat');
  const nps = await survey('nps');
  const unhappy = await reachable();
  const happy = await reachable();
  const detractor = await reachable();
  const passive = await reachable();
  for (const [sid, c, score] of [[csat, unhappy, 2], [csat, happy, 4], [nps, detractor, 6], [nps, passive, 7]]) {
    const r = await srv.req('POST', `/api/v1/surveys/${sid}/responses`, { customer_id: c.id, answers: { score, comment: 'from my online space' } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  await run();
  for (const c of [unhappy, detractor]) {
    assert.deepEqual(await firings(rule, c.id), [[0, 'flag', 'done'], [1, 'task', 'done']]);
    const p = (await srv.req('GET', `/api/v1/customers/${c.id}`)).json;
    assert.equal(p.flags[0].flag, 'at_risk');
    assert.match(p.flags[0].reason, /^bad (csat score 2\/5|nps score 6\/10)$/);
    const t = await tasks(c.id);
    assert.equal(t.length, 1);
    assert.equal(t[0].kind, 'call');
    assert.equal(t[0].team, 'advisers');
    assert.match(t[0].title, /Call back with a better offer/);
    const tl = (await srv.req('GET', `/api/v1/customers/${c.id}/timeline?kind=rule`)).json.items;
    assert.equal(tl.length, 2, 'the firings are on the 360° history');
  }
  for (const c of [happy, passive]) {
    assert.deepEqual(await firings(rule, c.id), []);
    assert.equal((await srv.req('GET', `/api/v1/customers/${c.id}`)).json.flags.length, 0);
  }
  await run();
  assert.equal((await tasks(unhappy.id)).length, 1, 'once');
});

test('seed 004 journey 2: interest noted in store → e-mail 3 days later → offer featured on the web site', async () => {
  const rule = await only('seed004.journey_store_interest');
  const c = await reachable();
  const online = await reachable();
  const offer = 'Forfait Sérénité';
  assert.equal((await srv.req('POST', '/api/v1/interactions', { customer_id: c.id, channel: 'store', direction: 'inbound', kind: 'interest', offer })).status, 201);
  assert.equal((await srv.req('POST', '/api/v1/interactions', { customer_id: online.id, channel: 'web', direction: 'inbound', kind: 'interest', offer })).status, 201);
  await run();
  let f = (await srv.req('GET', `/api/v1/rules/${rule}/firings`)).json.items;
  assert.equal(f.length, 0, 'nothing before the wait');
  assert.equal(smtp.to(c.email).length, 0);
  await runAt(T0 + 2 * D);
  assert.equal(smtp.to(c.email).length, 0, 'two days: still waiting');
  await runAt(T0 + 3 * D + 60);
  assert.deepEqual(await firings(rule, c.id), [[1, 'email', 'done'], [2, 'personalize', 'done']]);
  assert.deepEqual(await firings(rule, online.id), [], 'an interest noted on the web is not this journey');
  const mail = smtp.to(c.email);
  assert.equal(mail.length, 1);
  assert.match(mail[0].subject, /Forfait Sérénité: the offer you asked about/);
  // on the web site the offer is featured automatically
  await signedIn(c.id, 'visitor-journey-2');
  const page = await collect('visitor-journey-2', [{ type: 'page_view', url: `${ORIGIN}/` }]);
  assert.deepEqual(page.content.offer, { offer, cta: 'subscribe', source: 'store_interest' });
  await runAt(T0 + 10 * D);
  assert.equal(smtp.to(c.email).length, 1, 'once');
});

test('table 3 row 1: a search-engine keyword shows a banner for that offer to the visitor', async () => {
  const rule = await only('seed004.search_banner');
  const visitor = 'visitor-gabon';
  const first = await collect(visitor, [{ type: 'page_view', url: `${ORIGIN}/voyages/gabon`, referrer: 'https://www.google.com/search?q=voyage+gabon+pas+cher' }]);
  assert.deepEqual(first.content, {}, 'the rule runs after the event is stored');
  await run();
  const next = await collect(visitor, [{ type: 'page_view', url: `${ORIGIN}/voyages/gabon/circuits` }]);
  assert.equal(next.content.banner.offer, 'voyage gabon pas cher');
  assert.equal(next.content.banner.kind, 'promotion');
  const ev = (await srv.req('GET', '/api/v1/events?type=search')).json.items[0];
  assert.equal(ev.data.source, 'referrer');
  assert.deepEqual(await firings(rule, ev.customer_id), [[0, 'personalize', 'done']]);
  // a direct visit is no search
  await collect('visitor-direct', [{ type: 'page_view', url: `${ORIGIN}/` }]);
  await run();
  assert.equal((await srv.req('GET', `/api/v1/rules/${rule}/firings`)).json.items.length, 1);
});

test('table 3 row 2: the 5th view of the same page within 30 days sends one trigger e-mail', async () => {
  const rule = await only('seed004.repeat_view_email');
  const c = await reachable();
  const visitor = 'visitor-repeat';
  await signedIn(c.id, visitor);
  const view = (p) => ({ type: 'page_view', url: `${ORIGIN}${p}` });
  await collect(visitor, [view('/offers/spa'), view('/offers/spa'), view('/offers/ski'), view('/offers/spa'), view('/offers/ski')]);
  await run();
  assert.deepEqual(await firings(rule, c.id), [], 'three views of the same page');
  await collect(visitor, [view('/offers/spa')]);
  await run();
  assert.deepEqual(await firings(rule, c.id), [], 'four');
  await collect(visitor, [view('/offers/spa')]);
  await runAt(T0 + 60);
  assert.deepEqual(await firings(rule, c.id), [[0, 'email', 'done']]);
  const mail = smtp.to(c.email);
  assert.equal(mail.length, 1);
  assert.match(mail[0].subject, /Still thinking about it/);
  await collect(visitor, [view('/offers/spa'), view('/offers/spa')]);
  await runAt(T0 + 120);
  assert.equal(smtp.to(c.email).length, 1, 'once in the window');
});

test('table 3 row 3: an order started and not paid within 2 hours gives customer service a call task', async () => {
  const rule = await only('seed004.checkout_abandoned_call');
  const stopped = await reachable();
  const paid = await reachable();
  await signedIn(stopped.id, 'visitor-stopped');
  await signedIn(paid.id, 'visitor-paid');
  await collect('visitor-stopped', [{ type: 'checkout_started', product: 'KAYAK-2', amount_minor: 49900, currency: 'EUR' }]);
  await collect('visitor-paid', [{ type: 'checkout_started', product: 'KAYAK-2', amount_minor: 49900, currency: 'EUR' }]);
  await run();
  await collect('visitor-paid', [{ type: 'purchase', product: 'KAYAK-2', amount_minor: 49900, currency: 'EUR', order: 'W-1' }]);
  await runAt(T0 + H);
  assert.equal((await tasks(stopped.id)).length, 0, 'not yet');
  await runAt(T0 + 2 * H + 1);
  assert.deepEqual(await firings(rule, stopped.id), [[1, 'task', 'done']]);
  assert.deepEqual(await firings(rule, paid.id), [[0, 'wait', 'stopped']]);
  const t = await tasks(stopped.id);
  assert.equal(t.length, 1);
  assert.equal(t[0].team, 'customer_service');
  assert.match(t[0].title, /problem with the order\? \(KAYAK-2\)/);
  assert.equal((await tasks(paid.id)).length, 0);
});

test('table 3 row 4: a regular visitor gone for a month gets the satisfaction survey at the next visit', async () => {
  const rule = await only('seed004.lapsed_visitor_survey');
  const regular = await reachable();
  const once = await reachable();
  await signedIn(regular.id, 'visitor-regular');
  await signedIn(once.id, 'visitor-once');
  const view = (p) => ({ type: 'page_view', url: `${ORIGIN}${p}` });
  await collect('visitor-regular', [view('/'), view('/a'), view('/b')]);
  await collect('visitor-once', [view('/')]);
  await runAt(T0 + 20 * D);
  assert.deepEqual(await firings(rule, regular.id), []);
  await runAt(T0 + 31 * D);
  await runAt(T0 + 32 * D);
  assert.deepEqual(await firings(rule, regular.id), [[0, 'personalize', 'done']]);
  assert.deepEqual(await firings(rule, once.id), [], 'one visit is no habit');
  const back = await collect('visitor-regular', [view('/')]);
  assert.equal(back.content.survey.question, 'Are you satisfied with our web site?');
});

test('welcome programme: the first order tags and welcomes; a week later the second e-mail', async () => {
  const rule = await only('programme.welcome');
  const c = await reachable();
  assert.equal((await srv.req('POST', '/api/v1/orders', { customer_id: c.id, total_minor: 2500 })).status, 201);
  await run();
  assert.deepEqual(await firings(rule, c.id), [[0, 'tag', 'done'], [1, 'email', 'done']]);
  assert.ok((await srv.req('GET', `/api/v1/customers/${c.id}`)).json.tags.includes('welcome_programme'));
  await srv.req('POST', '/api/v1/orders', { customer_id: c.id, total_minor: 1500 });
  await runAt(T0 + 3 * D);
  assert.deepEqual(smtp.to(c.email).map((m) => m.subject), ['Welcome!']);
  await runAt(T0 + 7 * D + 1);
  assert.deepEqual(smtp.to(c.email).map((m) => m.subject), ['Welcome!', 'Your first week with us']);
  assert.deepEqual(await firings(rule, c.id), [[0, 'tag', 'done'], [1, 'email', 'done'], [3, 'email', 'done']]);
});

test('win-back: inactive customers get the e-mail, and a call 14 days later unless they ordered', async () => {
  const rule = await only('programme.winback');
  const sleeper = await reachable();
  const returning = await reachable();
  const recent = await reachable();
  for (const [c, days] of [[sleeper, 400], [returning, 420], [recent, 30]])
    assert.equal((await srv.req('POST', '/api/v1/orders', { customer_id: c.id, total_minor: 9900, ordered_at: iso(T0 - days * D) })).status, 201);
  await run();
  for (const c of [sleeper, returning]) {
    assert.deepEqual(await firings(rule, c.id), [[0, 'tag', 'done'], [1, 'email', 'done']]);
    assert.equal(smtp.to(c.email)[0].subject, 'We miss you');
  }
  assert.deepEqual(await firings(rule, recent.id), [], 'an active customer');
  await srv.req('POST', '/api/v1/orders', { customer_id: returning.id, total_minor: 4900 });
  await runAt(T0 + 15 * D);
  assert.deepEqual(await firings(rule, sleeper.id), [[0, 'tag', 'done'], [1, 'email', 'done'], [3, 'task', 'done']]);
  assert.deepEqual(await firings(rule, returning.id), [[0, 'tag', 'done'], [1, 'email', 'done'], [2, 'wait', 'stopped']]);
  assert.equal((await tasks(sleeper.id)).filter((t) => t.title === 'Win-back call').length, 1);
  await runAt(T0 + 40 * D);
  assert.equal(smtp.to(sleeper.email).length, 1, 'once a year');
});

test('cart recovery: a product left in the cart for 4 hours brings a reminder, not after a purchase', async () => {
  const rule = await only('programme.cart_recovery');
  const left = await reachable();
  const bought = await reachable();
  await signedIn(left.id, 'visitor-cart-left');
  await signedIn(bought.id, 'visitor-cart-bought');
  await collect('visitor-cart-left', [{ type: 'add_to_cart', product: 'Lampe Orion' }]);
  await collect('visitor-cart-bought', [{ type: 'add_to_cart', product: 'Lampe Orion' }]);
  await run();
  assert.equal((await srv.req('POST', '/api/v1/orders', { customer_id: bought.id, total_minor: 8900 })).status, 201);
  await runAt(T0 + 3 * H);
  assert.equal(smtp.to(left.email).length, 0);
  await runAt(T0 + 4 * H + 1);
  assert.deepEqual(await firings(rule, left.id), [[1, 'email', 'done']]);
  assert.deepEqual(await firings(rule, bought.id), [[0, 'wait', 'stopped']]);
  assert.equal(smtp.to(left.email)[0].subject, 'You left something in your cart');
  assert.match(smtp.to(left.email)[0].text ?? JSON.stringify(smtp.to(left.email)[0]), /Lampe Orion is still waiting/);
  assert.equal(smtp.to(bought.email).length, 0);
});

test('an e-mail action without consent is recorded as failed and nothing is sent', async () => {
  const rule = await only('programme.welcome');
  const c = await srv.req('POST', '/api/v1/customers', person());
  await srv.req('POST', '/api/v1/orders', { customer_id: c.json.id, total_minor: 100 });
  await run();
  const f = (await srv.req('GET', `/api/v1/customers/${c.json.id}/firings`)).json.items.filter((x) => x.rule_id === rule);
  const email = f.find((x) => x.action === 'email');
  assert.equal(email.status, 'failed');
  assert.match(email.detail, /no e-mail consent for marketing/);
  assert.equal(smtp.to(c.json.email).length, 0);
  await only('none');
});
