// PostgreSQL only (the PostgreSQL pass of scripts/test.sh sets RELATIO_TEST_PG
// and PG_DIR): relatio migrate copies a SQLite database into PostgreSQL with
// every per-table checksum equal and the server answers the same from it; a
// non-empty destination, an unreachable database and a bad URL are refused
// with exit 2; the database going away under a running server answers 503
// problem+json, and the server recovers by itself when it comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { cli, startServer, PG, pgDatabase } from './harness.mjs';

const skip = PG ? false : 'no RELATIO_TEST_PG (the PostgreSQL pass of scripts/test.sh sets it)';

test('migrate a SQLite database into PostgreSQL, verified by checksums', { skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-mig-'));
  const src = path.join(dir, 'src.db');
  const pg = pgDatabase();
  try {
    const demo = cli(['demo', '--db', src, '--no-serve', '--customers', '150', '--seed', '7']);
    assert.equal(demo.status, 0, demo.stderr);
    const add = cli(['user', 'add', '--db', src, '--email', 'mig@example.com', '--role', 'admin',
      '--name', 'Mig', '--password-stdin'], { input: 'secret-pass\n' });
    assert.equal(add.status, 0, add.stderr);
    const token = cli(['token', 'create', 'mig@example.com', '--db', src]).stdout.trim();

    const r = cli(['migrate', '--from', src, '--to', pg.url, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.mismatches, 0);
    assert.ok(rep.rows > 1000, `rows ${rep.rows}`);
    const customers = rep.tables.find((t) => t.table === 'customers');
    assert.ok(customers.rows >= 150);
    for (const t of rep.tables) assert.equal(t.source, t.destination, t.table);
    assert.match(r.stderr, /every checksum matches/);

    // the same per-table checksums read afresh on both sides
    const a = JSON.parse(cli(['checksum', '--tables', '--db', src]).stdout);
    const b = JSON.parse(cli(['checksum', '--tables', '--db', pg.url]).stdout);
    assert.deepEqual(b, a);

    // the server answers the same from either database
    const s1 = await startServer({ db: src });
    const s2 = await startServer({ db: pg.url });
    try {
      const l1 = await s1.req('GET', '/api/v1/customers?limit=5', undefined, { auth: token });
      const l2 = await s2.req('GET', '/api/v1/customers?limit=5', undefined, { auth: token });
      assert.equal(l1.status, 200);
      assert.deepEqual(l2.json.items.map((c) => c.id), l1.json.items.map((c) => c.id));
      const id = l1.json.items[0].id;
      const c1 = await s1.req('GET', `/api/v1/customers/${id}`, undefined, { auth: token });
      const c2 = await s2.req('GET', `/api/v1/customers/${id}`, undefined, { auth: token });
      assert.equal(c2.status, 200);
      assert.equal(c2.json.email, c1.json.email);
      assert.equal(c2.json.last_name, c1.json.last_name);
      // new rows get ids after the copied ones
      const n = await s2.req('POST', '/api/v1/customers',
        { kind: 'person', first_name: 'Zoé', last_name: 'Après', email: 'zoe.apres@example.fr' },
        { auth: token });
      assert.equal(n.status, 201, JSON.stringify(n.json));
      assert.ok(n.json.id > customers.rows, `${n.json.id}`);
    } finally {
      await s1.stop();
      await s2.stop();
    }

    // a destination with data is refused, and left as it was
    const before = cli(['checksum', '--db', pg.url]).stdout;
    const again = cli(['migrate', '--from', src, '--to', pg.url]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /holds data already/);
    assert.equal(cli(['checksum', '--db', pg.url]).stdout, before);
  } finally {
    pg.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unreachable database and bad URLs: a clear error, exit 2', { skip }, () => {
  const dead = cli(['customer', 'get', '1', '--db', 'postgres://nobody@127.0.0.1:1/none?connect_timeout=2']);
  assert.equal(dead.status, 2);
  assert.match(dead.stderr, /cannot connect to the database/);
  const bad = cli(['customer', 'get', '1', '--db', 'postgresql://[oops']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bad PostgreSQL URL/);
  const mig = cli(['migrate', '--from', '/nonexistent/dir/x.db', '--to', `${PG}/postgres`]);
  assert.equal(mig.status, 2);
});

// A cluster of its own: stopping it does not disturb the other test files.
test('the database goes away under the server: 503, then it recovers by itself', { skip }, async () => {
  const start = spawnSync('scripts/pg.sh', ['start'], { encoding: 'utf8' });
  assert.equal(start.status, 0, start.stderr);
  const dir = /PG_DIR=(\S+)/.exec(start.stdout)[1];
  const base = /RELATIO_TEST_PG=(\S+)/.exec(start.stdout)[1];
  const pgsh = (cmd) => {
    const r = spawnSync('scripts/pg.sh', [cmd, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  let srv;
  try {
    const mk = spawnSync('psql', [`${base}/postgres`, '-qAtX', '-c', 'CREATE DATABASE own'], { encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stderr);
    srv = await startServer({ db: `${base}/own` });
    const c = await srv.req('POST', '/api/v1/customers', { kind: 'person', first_name: 'Ana', last_name: 'Avant' });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    pgsh('pause');
    let down;
    try {
      down = await srv.req('GET', `/api/v1/customers/${c.json.id}`);
    } finally {
      pgsh('resume');
    }
    assert.equal(down.status, 503, JSON.stringify(down.json));
    assert.match(down.headers.get('content-type'), /application\/problem\+json/);
    // back: the same server answers again, the data is there
    const up = await srv.req('GET', `/api/v1/customers/${c.json.id}`);
    assert.equal(up.status, 200, JSON.stringify(up.json));
    assert.equal(up.json.last_name, 'Avant');
    const w = await srv.req('POST', '/api/v1/customers', { kind: 'person', first_name: 'Ana', last_name: 'Après' });
    assert.equal(w.status, 201, JSON.stringify(w.json));
  } finally {
    if (srv) await srv.stop();
    spawnSync('scripts/pg.sh', ['stop', dir]);
  }
});
