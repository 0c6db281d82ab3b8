// Search by several words: the page holds exactly the customers matching
// every word, newest first, and the cursor walks the rest without gaps or
// repeats (the other words are checked candidate by candidate).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person } from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const city = (c) => ({ addresses: [{ city: c, postal_code: '69001', country: 'FR' }] });

test('several words: every word must match, pages in id order, cursor complete', async () => {
  const lyon = [], other = [];
  for (let i = 0; i < 24; i++) {
    const inLyon = i % 3 === 0;
    const r = await srv.req('POST', '/api/v1/customers', person({ first_name: `Anne${i}`, last_name: 'Zorglubian', ...city(inLyon ? 'Lyon' : 'Paris') }));
    assert.equal(r.status, 201);
    (inLyon ? lyon : other).push(r.json.id);
  }
  // a Lyon customer without the name, and a name in another field
  await srv.req('POST', '/api/v1/customers', person({ last_name: 'Martin', ...city('Lyon') }));
  const seen = [];
  let cursor = '';
  for (let page = 0; page < 10; page++) {
    const r = await srv.req('GET', `/api/v1/customers?q=${encodeURIComponent('zorglub lyo')}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200);
    assert.ok(r.json.items.length <= 3);
    seen.push(...r.json.items.map((i) => i.id));
    for (const it of r.json.items) assert.equal(it.city, 'Lyon');
    if (!r.json.next_cursor) break;
    cursor = r.json.next_cursor;
  }
  assert.deepEqual(seen, [...lyon].sort((a, b) => b - a));
  // word order does not matter; a word matching nobody empties the page
  const swapped = await srv.req('GET', `/api/v1/customers?q=${encodeURIComponent('lyon zorglubian')}&limit=50`);
  assert.deepEqual(swapped.json.items.map((i) => i.id), [...lyon].sort((a, b) => b - a));
  const none = await srv.req('GET', `/api/v1/customers?q=${encodeURIComponent('zorglub qqqqq')}`);
  assert.deepEqual(none.json.items, []);
  assert.equal(none.json.next_cursor, null);
  // with a filter on the customer row as well
  const kind = await srv.req('GET', `/api/v1/customers?q=${encodeURIComponent('zorglub lyon')}&kind=organization`);
  assert.deepEqual(kind.json.items, []);
});
