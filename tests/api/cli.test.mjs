// The command line: users, tokens, customers, import, backup and restore,
// exit codes (0 ok, 1 usage, 2 data error).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { cli } from './harness.mjs';

let dir, db;
const fx = (f) => path.resolve('tests/api/fixtures', f);
before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-cli-')); db = path.join(dir, 'c.db'); });
after(() => rmSync(dir, { recursive: true, force: true }));

test('help, unknown commands and options', () => {
  const h = cli(['help']);
  assert.equal(h.status, 0);
  for (const c of ['serve', 'demo', 'user', 'token', 'customer', 'import', 'backup', 'restore']) assert.match(h.stdout, new RegExp(`\\b${c}\\b`));
  assert.equal(cli(['import', '--help']).status, 0);
  assert.match(cli(['import', '--help']).stdout, /--map/);
  assert.equal(cli(['frobnicate']).status, 1);
  assert.equal(cli(['user', 'add', '--bogus']).status, 1);
  assert.equal(cli(['customer', 'get']).status, 1);
});

test('user add, list and token create', () => {
  const add = cli(['user', 'add', '--db', db, '--email', 'ops@example.com', '--role', 'manager', '--password-stdin'], { input: 'long-enough\n' });
  assert.equal(add.status, 0, add.stderr);
  const dup = cli(['user', 'add', '--db', db, '--email', 'ops@example.com', '--role', 'manager', '--password-stdin'], { input: 'long-enough\n' });
  assert.equal(dup.status, 2);
  assert.match(dup.stderr, /already exists/);
  const weak = cli(['user', 'add', '--db', db, '--email', 'w@example.com', '--role', 'sales', '--password-stdin'], { input: 'short\n' });
  assert.equal(weak.status, 2);
  const list = JSON.parse(cli(['user', 'list', '--db', db, '--json']).stdout);
  assert.deepEqual(list.items.map((u) => u.email), ['ops@example.com']);
  const tok = cli(['token', 'create', 'ops@example.com', '--db', db]);
  assert.equal(tok.status, 0);
  assert.match(tok.stdout, /^[0-9a-f]{64}\n$/);
  assert.equal(cli(['token', 'create', 'ghost@example.com', '--db', db]).status, 2);
  assert.equal(cli(['user', 'passwd', '--db', db, '--email', 'ops@example.com', '--password-stdin'], { input: 'another-long-one\n' }).status, 0);
});

test('import customers: French headers in Latin-1, dry run, re-import changes nothing', () => {
  const dry = cli(['import', 'customers', fx('customers_fr_latin1.csv'), '--db', db, '--dry-run', '--json']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.equal(JSON.parse(dry.stdout).created, 3);
  assert.equal(JSON.parse(cli(['customer', 'search', 'dupont', '--db', db, '--json']).stdout).items.length, 0, 'a dry run writes nothing');
  const r = JSON.parse(cli(['import', 'customers', fx('customers_fr_latin1.csv'), '--db', db, '--json']).stdout);
  assert.deepEqual([r.rows, r.created, r.rejected], [3, 3, 0]);
  const found = JSON.parse(cli(['customer', 'search', 'helene', '--db', db, '--json']).stdout).items;
  assert.equal(found.length, 1);
  const c = JSON.parse(cli(['customer', 'get', String(found[0].id), '--db', db]).stdout);
  assert.equal(c.first_name, 'Hélène');
  assert.equal(c.last_name, 'Dupont');
  assert.equal(c.phone, '+33612345678');
  assert.equal(c.external_id, 'C-001');
  assert.equal(c.addresses[0].country, 'FR');
  const again = JSON.parse(cli(['import', 'customers', fx('customers_fr_latin1.csv'), '--db', db, '--json']).stdout);
  assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 3]);
});

test('import rejects bad rows with line and column; all-or-nothing by default', () => {
  const r = cli(['import', 'customers', fx('customers_bad.csv'), '--db', db, '--json']);
  assert.equal(r.status, 2);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.written, false);
  const emailProblem = rep.problems.find((p) => p.field === 'email');
  assert.equal(emailProblem.line, 3);
  assert.equal(emailProblem.column, 2);
  assert.ok(rep.problems.find((p) => p.field.includes('postal_code') && p.line === 4), JSON.stringify(rep.problems));
  assert.equal(JSON.parse(cli(['customer', 'search', 'smith', '--db', db, '--json']).stdout).items.length, 0);
  const skip = JSON.parse(cli(['import', 'customers', fx('customers_bad.csv'), '--db', db, '--skip-bad', '--json']).stdout);
  assert.equal(skip.created, 1);
  assert.equal(skip.rejected, 2);
  assert.equal(JSON.parse(cli(['customer', 'search', 'smith', '--db', db, '--json']).stdout).items.length, 1);
  assert.equal(cli(['import', 'customers', path.join(dir, 'missing.csv'), '--db', db]).status, 2);
});

test('import orders with lines: float ids, cancellations as refunds, anonymous buyers', () => {
  const r = cli(['import', 'orders', fx('orders_lines.csv'), '--db', db, '--currency', 'GBP', '--map', 'order_date=order_date', '--json']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const rep = JSON.parse(r.stdout);
  assert.deepEqual([rep.rows, rep.created, rep.rejected], [5, 4, 0]);
  const c = JSON.parse(cli(['customer', 'search', '17850', '--db', db, '--json']).stdout).items;
  assert.equal(c.length, 1);
  assert.equal(c[0].kind, 'guest');
  // 6 × 2.55 + 6 × 3.39 + 6 × 1.85 − 27.50 = 19.24
  assert.equal(c[0].stats.revenue_minor, 1530 + 2034 + 1110 - 2750);
  assert.equal(c[0].stats.orders, 2);
  const again = JSON.parse(cli(['import', 'orders', fx('orders_lines.csv'), '--db', db, '--currency', 'GBP', '--json']).stdout);
  assert.equal(again.created, 0);
  assert.equal(again.unchanged, 4);
});

test('backup and restore give the same data', () => {
  const bak = path.join(dir, 'backup.db');
  assert.equal(cli(['backup', bak, '--db', db]).status, 0);
  assert.ok(existsSync(bak));
  const restored = path.join(dir, 'restored.db');
  assert.equal(cli(['restore', bak, '--db', restored]).status, 0);
  const dump = (f) => execFileSync('sqlite3', [f, '.dump']).toString();
  assert.equal(dump(restored), dump(db));
  assert.equal(cli(['restore', path.join(dir, 'nope.db'), '--db', restored]).status, 2);
});
