// Durability: kill the server with SIGKILL while clients write, restart it,
// and check that every acknowledged write is there and the database is sound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, cli, freePort } from './harness.mjs';

const ENV = { ...process.env, RELATIO_PWHASH: 'fast', RELATIO_LOG: 'error' };

async function up(db, port) {
  const proc = spawn(BIN, ['serve', '--db', db, '--port', String(port)], { env: ENV, stdio: 'ignore' });
  proc.exited = new Promise((r) => proc.on('exit', r));
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return proc; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not start');
}

test('acknowledged writes survive SIGKILL', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-crash-'));
  const db = path.join(dir, 'c.db');
  cli(['user', 'add', '--db', db, '--email', 'w@example.com', '--role', 'admin', '--password-stdin'], { input: 'secret-pass\n' });
  const token = cli(['token', 'create', 'w@example.com', '--db', db]).stdout.trim();
  const acked = { customers: [], orders: [], interactions: [], points: [], visits: [] };
  const ORIGIN = 'https://shop.example';
  let kills = 0, unacked = 0, siteKey = null;
  try {
    for (let round = 0; round < 3; round++) {
      const port = await freePort();
      const proc = await up(db, port);
      const base = `http://127.0.0.1:${port}/api/v1`;
      const post = (url, body) => fetch(base + url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const collect = (body) => fetch(`http://127.0.0.1:${port}/t/collect`, { method: 'POST', headers: { origin: ORIGIN, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36', 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!siteKey) siteKey = (await (await post('/tracking/sites', { name: 'Shop', origins: [ORIGIN] })).json()).key;
      let stop = false;
      const writer = async (w) => {
        for (let i = 0; !stop; i++) {
          try {
            const r = await post('/customers', { kind: 'person', last_name: `K${round}-${w}-${i}`, email: `k${round}.${w}.${i}@example.com` });
            if (r.status !== 201) continue;
            const c = await r.json();
            acked.customers.push([c.id, c.last_name]);
            const o = await post('/orders', { customer_id: c.id, external_id: `O-${round}-${w}-${i}`, total_minor: 1000 + i });
            if (o.status === 201) acked.orders.push([(await o.json()).id, c.id, 1000 + i]);
            const it = await post('/interactions', { customer_id: c.id, channel: 'phone', direction: 'inbound', subject: `call ${i}` });
            if (it.status === 201) acked.interactions.push((await it.json()).id);
            if ((await post(`/loyalty/members/${c.id}`, {})).status === 201) {
              const a = await post(`/loyalty/members/${c.id}/awards`, { points: 100 + i, reason: 'crash test' });
              if (a.status === 201 || a.status === 200) acked.points.push([c.id, 100 + i]);
            }
            const visitor = `visitor-${round}-${w}-${i}`;
            const t = await collect({ key: siteKey, visitor, events: [{ type: 'page_view', url: `${ORIGIN}/p/${i}` }] });
            if (t.status >= 200 && t.status < 300) acked.visits.push(visitor);
          } catch { unacked++; return; }
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      // kill at a random moment once this round has acknowledged a few
      // writes (however slow a loaded machine makes them)
      const before = acked.customers.length, since = Date.now();
      while (acked.customers.length - before < 8 && Date.now() - since < 60000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 700)));
      proc.kill('SIGKILL');
      kills++;
      stop = true;
      await Promise.all(writers);
      await proc.exited;
    }
    assert.equal(execFileSync('sqlite3', [db, 'PRAGMA integrity_check']).toString().trim(), 'ok');
    const rows = (sql) => execFileSync('sqlite3', [db, sql], { maxBuffer: 1 << 26 }).toString().trim().split('\n').filter(Boolean);
    const customers = new Map(rows('SELECT id, last_name FROM customers').map((l) => l.split('|')));
    for (const [id, name] of acked.customers) assert.equal(customers.get(String(id)), name, `customer ${id}`);
    const orders = new Set(rows('SELECT id || \'|\' || customer_id || \'|\' || total_minor FROM orders'));
    for (const [id, cid, total] of acked.orders) assert.ok(orders.has(`${id}|${cid}|${total}`), `order ${id}`);
    const inter = new Set(rows('SELECT id FROM interactions'));
    for (const id of acked.interactions) assert.ok(inter.has(String(id)), `interaction ${id}`);
    const awards = new Set(rows("SELECT customer_id || '|' || points FROM loyalty_ledger WHERE kind = 'award'"));
    for (const [cid, pts] of acked.points) assert.ok(awards.has(`${cid}|${pts}`), `points of ${cid}`);
    const visits = new Set(rows('SELECT DISTINCT visitor FROM web_events'));
    for (const v of acked.visits) assert.ok(visits.has(v), `tracked visit ${v}`);
    // balances agree with their ledgers
    assert.deepEqual(rows('SELECT m.customer_id FROM loyalty_members m WHERE m.balance <> (SELECT COALESCE(SUM(points), 0) FROM loyalty_ledger l WHERE l.customer_id = m.customer_id)'), []);
    // nothing half-written: every order's customer aggregates agree with its orders
    const bad = rows("SELECT c.id FROM customers c WHERE c.revenue_minor <> (SELECT COALESCE(SUM(total_minor), 0) FROM orders o WHERE o.customer_id = c.id)");
    assert.deepEqual(bad, []);
    assert.ok(acked.customers.length > 20, `only ${acked.customers.length} writes acknowledged`);
    assert.ok(acked.points.length > 0 && acked.visits.length > 0, `points ${acked.points.length}, visits ${acked.visits.length}`);
    const total = Object.values(acked).reduce((n, a) => n + a.length, 0);
    console.log(`# durability: ${kills} kills, ${total} acknowledged writes (customers, orders, interactions, points, tracking events), 0 lost, ${unacked} writers cut mid-request`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an import killed midway leaves nothing half-written', async () => {
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-crash-'));
  const db = path.join(dir, 'i.db');
  const csv = path.join(dir, 'big.csv');
  let text = 'first_name,last_name,email,postal_code,country\n';
  for (let i = 0; i < 60000; i++) text += `Prénom${i},Nom${i},kill.${i}@example.fr,69002,FR\n`;
  writeFileSync(csv, text);
  try {
    cli(['user', 'list', '--db', db]); // creates and migrates the database
    for (const wait of [300, 900]) {
      const p = spawn(BIN, ['import', 'customers', csv, '--db', db, '--no-duplicates'], { env: ENV, stdio: 'ignore' });
      const exited = new Promise((r) => p.on('exit', (code, sig) => r({ code, sig })));
      await new Promise((r) => setTimeout(r, wait));
      p.kill('SIGKILL');
      const { sig } = await exited;
      const n = Number(execFileSync('sqlite3', [db, "SELECT COUNT(*) FROM customers WHERE email LIKE 'kill.%'"]).toString());
      assert.ok(sig === 'SIGKILL' ? n === 0 : n === 60000, `after a kill at ${wait} ms: ${n} customers (all or none)`);
      assert.equal(execFileSync('sqlite3', [db, 'PRAGMA integrity_check']).toString().trim(), 'ok');
    }
    const done = cli(['import', 'customers', csv, '--db', db, '--no-duplicates', '--json']);
    assert.equal(done.status, 0, done.stderr);
    assert.equal(JSON.parse(done.stdout).created, 60000, 'the import runs whole afterwards');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM lets a request in flight finish its answer', async () => {
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-term-'));
  const db = path.join(dir, 't.db');
  const csv = path.join(dir, 'c.csv');
  let text = 'first_name,last_name,email\n';
  for (let i = 0; i < 20000; i++) text += `P${i},N${i},term.${i}@example.fr\n`;
  writeFileSync(csv, text);
  try {
    cli(['user', 'add', '--db', db, '--email', 'w@example.com', '--role', 'admin', '--password-stdin'], { input: 'secret-pass\n' });
    assert.equal(cli(['import', 'customers', csv, '--db', db, '--no-duplicates']).status, 0);
    const token = cli(['token', 'create', 'w@example.com', '--db', db]).stdout.trim();
    const port = await freePort();
    const proc = await up(db, port);
    // an export of 20,000 customers takes a moment: SIGTERM arrives during it
    const answer = fetch(`http://127.0.0.1:${port}/api/v1/export/customers?format=csv`, { headers: { authorization: `Bearer ${token}` } })
      .then(async (r) => ({ status: r.status, text: await r.text() }));
    await new Promise((r) => setTimeout(r, 100));
    proc.kill('SIGTERM');
    const got = await answer;
    assert.equal(await proc.exited, 0);
    assert.equal(got.status, 200);
    assert.equal(got.text.trim().split('\r\n').length, 20001, 'the whole export');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'stopped afterwards');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
