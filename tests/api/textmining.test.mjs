// Text mining through the API: tickets, complaint interactions and survey
// answers created over HTTP, the index refreshed by a background job, then
// top terms, emerging topics, low-satisfaction words and the segment field
// complaint_terms_90d; bad input answers problem details naming the field and
// changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, userWithRole, person, cli } from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const ok = (r, status = 200) => assert.equal(r.status, status, JSON.stringify(r.json));
const daysAgo = (n) => new Date(Date.now() - n * 86400e3).toISOString().slice(0, 19) + 'Z';
const customer = async () => {
  const r = await srv.req('POST', '/api/v1/customers', person());
  ok(r, 201);
  return r.json.id;
};
const refresh = async (body = {}) => {
  const r = await srv.req('POST', '/api/v1/textmining/refresh', body);
  ok(r, 202);
  assert.match(r.headers.get('location'), /^\/api\/v1\/jobs\/\d+$/);
  for (let i = 0; i < 400; i++) {
    const j = await srv.req('GET', r.headers.get('location'));
    ok(j);
    if (j.json.state !== 'running') {
      assert.equal(j.json.state, 'done', JSON.stringify(j.json));
      return j.json.result;
    }
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error('refresh job did not finish');
};
const get = async (what, query = '') => {
  const r = await srv.req('GET', `/api/v1/textmining/${what}${query}`);
  ok(r);
  return r.json;
};
const count = async (expr) => {
  const r = await srv.req('POST', '/api/v1/segments/count', { expr });
  ok(r);
  return r.json.count;
};

const ids = {};
test('texts through the API: complaint tickets, older complaint interactions, survey answers', async () => {
  // the previous period (31-60 days ago): refunds were the complaint
  for (let i = 0; i < 5; i++) {
    const c = await customer();
    ok(await srv.req('POST', '/api/v1/interactions', {
      customer_id: c, channel: 'phone', direction: 'inbound', kind: 'complaint', at: daysAgo(40 + i),
      subject: 'Remboursement', body: 'Toujours pas de remboursement pour ma commande annulée.',
    }), 201);
  }
  // this period: late deliveries, in French and in English
  ids.fr = [];
  for (let i = 0; i < 6; i++) {
    const c = await customer();
    ids.fr.push(c);
    ok(await srv.req('POST', '/api/v1/tickets', {
      customer_id: c, kind: 'complaint', subject: 'Livraison',
      body: i % 2 ? 'Les livraisons sont toujours en retard, colis abîmé.' : 'Livraison en retard de dix jours ! Quel retard.',
    }), 201);
  }
  ids.en = await customer();
  ok(await srv.req('POST', '/api/v1/tickets', {
    customer_id: ids.en, kind: 'complaint', subject: 'Late parcel',
    body: 'My deliveries keep arriving late and the box was damaged.',
  }), 201);
  // not a complaint: a support question (category support)
  ids.support = await customer();
  ok(await srv.req('POST', '/api/v1/tickets', {
    customer_id: ids.support, kind: 'support', subject: 'Mot de passe',
    body: 'Je ne peux pas réinitialiser mon mot de passe du compte.',
  }), 201);
  // other languages and empty texts are indexed safely
  const other = await customer();
  ok(await srv.req('POST', '/api/v1/tickets', { customer_id: other, kind: 'complaint', subject: 'Доставка', body: 'Доставка задерживается 😡 配送が遅れています' }), 201);
  ok(await srv.req('POST', '/api/v1/tickets', { customer_id: other, kind: 'information', subject: '?', body: '!!! ...' }), 201);
  // satisfaction: low scores speak of delays, high ones of kind advisers
  const low = ['Livraison en retard, très déçue', 'Retard de livraison inadmissible', 'Encore un retard de livraison', 'Colis en retard et abîmé'];
  const high = ['Conseillère aimable, produit parfait', 'Produit parfait, conseillère aimable', 'Parfait, merci à la conseillère', 'Conseillère aimable et livraison rapide'];
  for (const [i, comment] of [...low, ...high].entries()) {
    const c = await customer();
    ok(await srv.req('POST', '/api/v1/surveys/1/responses', { customer_id: c, answers: { score: i < 4 ? 1 + (i % 2) : 5, comment } }), 201);
  }
});

test('refresh runs as a job and indexes every text since the first one', async () => {
  const r = await refresh();
  assert.equal(r.from, daysAgo(44).slice(0, 10));
  assert.equal(r.documents, 5 + 6 + 1 + 1 + 2 + 8);
  assert.ok(r.words > 50, JSON.stringify(r));
  // a second refresh re-reads only the last day; the totals stay the same
  const again = await refresh();
  assert.equal(again.days, 1);
  const t = await get('terms', '?period=90d');
  assert.equal(t.documents, 23);
});

test('top terms by tf-idf, per source and category', async () => {
  const t = await get('terms', '?source=complaint&period=30d');
  assert.equal(t.source, 'complaint');
  assert.equal(t.documents, 6 + 1 + 1); // the complaint tickets of this period
  const terms = t.terms.map((x) => x.term);
  assert.equal(terms[0], 'retard', JSON.stringify(t.terms.slice(0, 5)));
  assert.equal(t.terms[0].count, 9);
  assert.ok(terms.includes('livraison'));
  assert.ok(!terms.includes('rembours'), 'the refunds are in the previous period');
  assert.ok(!terms.includes('mot'), 'the support ticket is not a complaint');
  const livraison = t.terms.find((x) => x.term === 'livraison');
  assert.equal(livraison.count, 6); // "livraison" and "livraisons" share the stem
  assert.equal(livraison.docs, 6);
  assert.ok(['livraison', 'livraisons'].includes(livraison.label));
  assert.ok(t.phrases.some((p) => p.term === 'livraison retard'), JSON.stringify(t.phrases));
  // stop words never come out
  for (const w of ['les', 'de', 'the', 'and', 'en']) assert.ok(!terms.includes(w), w);
  // support tickets only
  const s = await get('terms', '?source=ticket&category=support&period=30d');
  assert.equal(s.documents, 1);
  assert.deepEqual(s.terms.map((x) => x.term).sort(), ['compt', 'mot', 'pass', 'peux', 'reinitialis']);
  // the index is per day: a period before any text is empty
  const empty = await get('terms', '?period=2001-01');
  assert.equal(empty.documents, 0);
  assert.deepEqual(empty.terms, []);
});

test('emerging topics: late deliveries rise, refunds do not', async () => {
  const e = await get('emerging', '?source=complaint&period=30d&min_support=3');
  const topics = e.topics.map((x) => x.term);
  assert.ok(topics.includes('livraison'), JSON.stringify(e.topics));
  assert.ok(topics.includes('retard'));
  assert.ok(!topics.includes('rembours'));
  const liv = e.topics.find((x) => x.term === 'livraison');
  assert.equal(liv.previous, 0);
  assert.ok(liv.lift > 1.5 && liv.share > liv.previous_share);
  assert.equal(e.previous.to, daysAgo(30).slice(0, 10));
  // a higher minimum support leaves out what is rarer
  const strict = await get('emerging', '?source=complaint&period=30d&min_support=7');
  assert.ok(strict.topics.every((x) => x.count >= 7));
  // the refunds emerged in their own period against an empty one before: no baseline
  const old = await get('emerging', '?source=complaint&period=2001-01-01..2001-01-31');
  assert.deepEqual(old.topics, []);
});

test('words of low satisfaction come from the scored survey comments', async () => {
  const s = await get('satisfaction', '?source=survey&period=30d&min_count=3');
  assert.equal(s.overall.documents, 8);
  assert.equal(s.overall.low, 4);
  assert.ok(Math.abs(s.overall.mean - (1 + 2 + 1 + 2 + 20) / 40) < 1e-9);
  const terms = s.terms.map((x) => x.term);
  assert.equal(terms[0], 'retard', JSON.stringify(s.terms));
  const retard = s.terms[0];
  assert.equal(retard.docs, 4);
  assert.equal(retard.low, 4);
  assert.ok(retard.diff < 0 && retard.log_odds > 0);
  assert.ok(!terms.includes('aimabl') && !terms.includes('parfait'));
  // livraison is in 4 low and 1 high answer: still below the mean
  const liv = s.terms.find((x) => x.term === 'livraison');
  assert.ok(liv && liv.docs === 4 && liv.mean > retard.mean, JSON.stringify(s.terms));
});

test('segments: complained about delivery in the last 90 days', async () => {
  // the value is stemmed: "delivery" finds "deliveries", "livraisons" finds "livraison"
  assert.equal(await count('complaint_terms_90d contains "delivery"'), 1);
  assert.equal(await count('complaint_terms_90d in ["livraisons"]'), 6);
  assert.equal(await count('complaint_terms_90d in ["livraison", "delivery"]'), 7);
  assert.equal(await count('complaint_terms_90d contains "remboursement"'), 5);
  assert.equal(await count('complaint_terms_90d is not null'), 5 + 6 + 1 + 1);
  // survey comments and support tickets are not complaints
  assert.equal(await count('complaint_terms_90d contains "password" OR complaint_terms_90d contains "passe"'), 0);
  const fields = await srv.req('GET', '/api/v1/segments/fields');
  ok(fields);
  const f = (fields.json.fields || fields.json).find((x) => x.name === 'complaint_terms_90d');
  assert.equal(f.type, 'list');
  const bad = await srv.req('POST', '/api/v1/segments/count', { expr: 'complaint_terms_90d contains "!!"' });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'expr');
});

test('bad input: problem details naming the field, nothing changed', async () => {
  const before = await get('terms', '?period=90d&limit=50');
  const cases = [
    ['GET', '/api/v1/textmining/terms?period=yesterday', 'period'],
    ['GET', '/api/v1/textmining/terms?period=2026-02-30..2026-03-01', 'period'],
    ['GET', '/api/v1/textmining/terms?period=2026-05-01..2026-04-01', 'period'],
    ['GET', '/api/v1/textmining/terms?period=99999d', 'period'],
    ['GET', '/api/v1/textmining/emerging?source=email', 'source'],
    ['GET', '/api/v1/textmining/terms?category=DROP%20TABLE', 'category'],
    ['GET', '/api/v1/textmining/terms?limit=0', 'limit'],
    ['GET', '/api/v1/textmining/terms?limit=abc', 'limit'],
    ['GET', '/api/v1/textmining/emerging?min_support=0', 'min_support'],
    ['GET', '/api/v1/textmining/satisfaction?min_count=-1', 'min_count'],
    ['POST', '/api/v1/textmining/refresh', 'since', { since: '2026-13-01' }],
    ['POST', '/api/v1/textmining/refresh', 'since', { since: '2030-01-01' }],
    ['POST', '/api/v1/textmining/refresh', 'until', { until: '2999-01-01' }],
    ['POST', '/api/v1/textmining/refresh', 'since', { since: '1990-01-01' }],
    ['POST', '/api/v1/textmining/refresh', 'extra', { extra: 1 }],
  ];
  for (const [method, url, field, body] of cases) {
    const r = await srv.req(method, url, body);
    assert.ok(r.status === 400 || r.status === 422, `${url} ${JSON.stringify(body)}: ${r.status}`);
    assert.match(r.headers.get('content-type'), /application\/problem\+json/);
    assert.equal(r.json.errors[0].field, field, `${url}: ${JSON.stringify(r.json)}`);
  }
  // roles: an analyst reads but cannot start a refresh
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('POST', '/api/v1/textmining/refresh', {}, { auth: analyst.token })).status, 403);
  assert.equal((await srv.req('GET', '/api/v1/textmining/terms', undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/textmining/terms', undefined, { auth: null })).status, 401);
  assert.deepEqual(await get('terms', '?period=90d&limit=50'), before);
});

test('relatio textmine refreshes and prints the same ranking', async () => {
  const r = cli(['textmine', '--db', srv.db, '--source', 'complaint', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.refresh.days, 1);
  assert.equal(doc.terms.terms[0].term, 'retard');
  assert.ok(doc.emerging.topics.some((x) => x.term === 'livraison'));
  const txt = cli(['textmine', '--db', srv.db, '--period', '30d']);
  assert.equal(txt.status, 0, txt.stderr);
  assert.match(txt.stdout, /top terms \(tf-idf\)/);
  assert.match(txt.stdout, /emerging topics/);
  const bad = cli(['textmine', '--db', srv.db, '--since', 'soon']);
  assert.equal(bad.status, 1);
  const badPeriod = cli(['textmine', '--db', srv.db, '--period', 'later']);
  assert.equal(badPeriod.status, 2);
  assert.match(badPeriod.stderr, /period/);
});
