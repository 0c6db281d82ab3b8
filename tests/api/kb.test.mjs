// The knowledge base end to end: categories, articles in French and
// English, internal vs public, folded full-text search, helpfulness votes,
// suggestions from a ticket's text, roles and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, userWithRole, person } from './harness.mjs';

let srv;
let cat;
const art = {};
before(async () => {
  srv = await startServer();
  cat = (await srv.req('POST', '/api/v1/kb/categories', { name: 'Livraison' })).json;
  const mk = async (key, body) => {
    const r = await srv.req('POST', '/api/v1/kb/articles', body);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    art[key] = r.json;
  };
  await mk('refund', { title: 'Délai de remboursement', body: 'Le remboursement est effectué sous 14 jours après réception du colis retourné.', lang: 'fr', category_id: cat.id, visibility: 'public' });
  await mk('lost', { title: 'Colis perdu ou jamais reçu', body: 'Si votre colis n’est jamais arrivé, ouvrez une réclamation : nous lançons une enquête auprès du transporteur.', lang: 'fr', category_id: cat.id, visibility: 'public' });
  await mk('refundEn', { title: 'Refund delay', body: 'Refunds are issued within 14 days of receiving the returned parcel.', lang: 'en', visibility: 'public' });
  await mk('internal', { title: 'Procédure interne de remboursement exceptionnel', body: 'Validation du manager requise au-delà de 200 euros.', lang: 'fr', visibility: 'internal' });
  await mk('draft', { title: 'Remboursement en bons d’achat', body: 'Brouillon.', lang: 'fr', visibility: 'public', status: 'draft' });
});
after(async () => { await srv.stop(); });

const ids = (r) => r.json.items.map((i) => i.id);

test('search folds accents and case, needs every word, prefix on the last', async () => {
  let r = await srv.req('GET', `/api/v1/kb/search?q=${encodeURIComponent('DELAI remboursement')}`);
  assert.equal(r.status, 200);
  assert.equal(ids(r)[0], art.refund.id, 'the title match ranks first');
  assert.ok(!ids(r).includes(art.lost.id));
  r = await srv.req('GET', `/api/v1/kb/search?q=${encodeURIComponent('colis recu')}`);
  assert.deepEqual(ids(r), [art.lost.id]);
  r = await srv.req('GET', '/api/v1/kb/search?q=rembour');
  assert.deepEqual(new Set(ids(r)), new Set([art.refund.id, art.internal.id, art.draft.id]));
  r = await srv.req('GET', '/api/v1/kb/search?q=rembour&public=1');
  assert.deepEqual(ids(r), [art.refund.id], 'the portal sees published public articles only');
  r = await srv.req('GET', '/api/v1/kb/search?q=refund&lang=en');
  assert.deepEqual(ids(r), [art.refundEn.id]);
  r = await srv.req('GET', '/api/v1/kb/search?q=refund&lang=fr');
  assert.deepEqual(ids(r), []);
  assert.ok(r.json.items.every((i) => i.lang === 'fr'));
  r = await srv.req('GET', '/api/v1/kb/search?q=zzzunknown');
  assert.deepEqual(ids(r), []);
  const hit = (await srv.req('GET', '/api/v1/kb/search?q=transporteur')).json.items[0];
  assert.equal(hit.category, 'Livraison');
  assert.match(hit.excerpt, /colis/);
});

test('editing an article re-indexes it', async () => {
  const r = await srv.req('PATCH', `/api/v1/kb/articles/${art.draft.id}`, { body: 'Un avoir valable un an est proposé.', status: 'published' });
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'published');
  assert.deepEqual(ids(await srv.req('GET', '/api/v1/kb/search?q=avoir')), [art.draft.id]);
  assert.deepEqual(ids(await srv.req('GET', '/api/v1/kb/search?q=brouillon')), []);
});

test('helpfulness votes are counted', async () => {
  for (const helpful of [true, true, false]) {
    const r = await srv.req('POST', `/api/v1/kb/articles/${art.lost.id}/votes`, { helpful });
    assert.equal(r.status, 201);
  }
  const g = (await srv.req('GET', `/api/v1/kb/articles/${art.lost.id}`)).json;
  assert.equal(g.helpful, 2);
  assert.equal(g.not_helpful, 1);
  assert.equal((await srv.req('POST', `/api/v1/kb/articles/${art.lost.id}/votes`, { helpful: 'yes' })).json.errors[0].field, 'helpful');
  assert.equal((await srv.req('POST', '/api/v1/kb/articles/99999/votes', { helpful: true })).status, 404);
});

test('articles suggested from a ticket’s text', async () => {
  const c = (await srv.req('POST', '/api/v1/customers', person())).json;
  const t = (await srv.req('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'complaint', subject: 'Mon colis n’est jamais arrivé', body: 'J’attends toujours le colis, le transporteur ne répond pas.' })).json;
  const r = await srv.req('GET', `/api/v1/tickets/${t.id}/suggestions`);
  assert.equal(r.status, 200);
  assert.equal(ids(r)[0], art.lost.id);
  assert.ok(!ids(r).includes(art.refundEn.id));
  assert.equal((await srv.req('GET', '/api/v1/tickets/99999/suggestions')).status, 404);
});

test('lists, categories, bad input and roles', async () => {
  let r = await srv.req('GET', `/api/v1/kb/articles?category_id=${cat.id}`);
  assert.deepEqual(new Set(ids(r)), new Set([art.refund.id, art.lost.id]));
  r = await srv.req('GET', '/api/v1/kb/articles?lang=en');
  assert.deepEqual(ids(r), [art.refundEn.id]);
  r = await srv.req('GET', '/api/v1/kb/articles?limit=2');
  assert.equal(r.json.items.length, 2);
  const r2 = await srv.req('GET', `/api/v1/kb/articles?limit=2&cursor=${r.json.next_cursor}`);
  assert.ok(!ids(r2).some((i) => ids(r).includes(i)));
  const cats = (await srv.req('GET', '/api/v1/kb/categories')).json.items;
  assert.equal(cats.find((c) => c.id === cat.id).articles, 2);
  assert.equal((await srv.req('POST', '/api/v1/kb/categories', { name: 'Livraison' })).status, 409);
  const before = (await srv.req('GET', '/api/v1/kb/articles?limit=500')).json.items.length;
  for (const [body, field] of [
    [{ title: 'x', body: 'y', lang: 'de' }, 'lang'],
    [{ title: '', body: 'y', lang: 'fr' }, 'title'],
    [{ title: 'x', body: 'y', lang: 'fr', category_id: 4242 }, 'category_id'],
    [{ title: 'x', body: 'y', lang: 'fr', visibility: 'everyone' }, 'visibility'],
    [{ title: 'x', lang: 'fr' }, 'body'],
    [{ title: 'x'.repeat(201), body: 'y', lang: 'fr' }, 'title'],
  ]) {
    const b = await srv.req('POST', '/api/v1/kb/articles', body);
    assert.equal(b.status, 422, JSON.stringify(body));
    assert.equal(b.json.errors[0].field, field);
  }
  const patch = await srv.req('PATCH', `/api/v1/kb/articles/${art.refund.id}`, { lang: 'xx' });
  assert.equal(patch.json.errors[0].field, 'lang');
  assert.equal((await srv.req('GET', `/api/v1/kb/articles/${art.refund.id}`)).json.lang, 'fr');
  assert.equal((await srv.req('GET', '/api/v1/kb/articles?limit=500')).json.items.length, before);
  assert.equal((await srv.req('GET', `/api/v1/kb/search?q=${'a'.repeat(501)}`)).json.errors[0].field, 'q');
  assert.equal((await srv.req('GET', '/api/v1/kb/search')).json.errors[0].field, 'q');
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('GET', '/api/v1/kb/search?q=colis', undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('POST', '/api/v1/kb/articles', { title: 'x', body: 'y', lang: 'fr' }, { auth: analyst.token })).status, 403);
  const support = await userWithRole(srv, 'support');
  assert.equal((await srv.req('POST', '/api/v1/kb/articles', { title: 'Astuce', body: 'texte', lang: 'fr' }, { auth: support.token })).status, 201);
  assert.equal((await srv.req('GET', '/api/v1/kb/articles/1', undefined, { auth: '' })).status, 401);
});
