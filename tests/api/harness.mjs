// Test harness: a real relatio server on a free loopback port with a fresh
// database, an admin user, and small HTTP helpers. Stops what it starts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

export const BIN = path.resolve(process.env.RELATIO_BIN || 'build/rel/relatio');
const ENV = { ...process.env, RELATIO_PWHASH: 'fast', RELATIO_LOG: 'warn' };

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs the CLI synchronously; returns {status, stdout, stderr}. */
export function cli(args, { input, env } = {}) {
  const r = spawnSync(BIN, args, { input, env: { ...ENV, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The PostgreSQL pass (scripts/test.sh): RELATIO_TEST_PG is the private
// cluster's URL without a database; each server gets a database of its own,
// created here and dropped when it stops.
export const PG = process.env.RELATIO_TEST_PG || '';
let pgCount = 0;
function psql(sql) {
  const r = spawnSync('psql', [`${PG}/postgres`, '-qAtX', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8' });
  assert.equal(r.status, 0, `psql ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}
export function pgDatabase() {
  const name = `t_${process.pid}_${++pgCount}_${Math.random().toString(36).slice(2, 8)}`;
  psql(`CREATE DATABASE ${name}`);
  return { url: `${PG}/${name}`, drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A server on a fresh database, or on db when given (kept when it stops). */
export async function startServer({ env, db: given } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-api-'));
  const pg = PG && !given ? pgDatabase() : null;
  const db = given || (pg ? pg.url : path.join(dir, 't.db'));
  const add = cli(['user', 'add', '--db', db, '--email', 'admin@example.com', '--role', 'admin',
    '--name', 'Admin', '--password-stdin'], { input: 'secret-pass\n' });
  assert.equal(add.status, 0, add.stderr);
  const token = cli(['token', 'create', 'admin@example.com', '--db', db]).stdout.trim();
  assert.match(token, /^[0-9a-f]{64}$/);
  const port = await freePort();
  const proc = spawn(BIN, ['serve', '--db', db, '--port', String(port), '--bind', '127.0.0.1'],
    { env: { ...ENV, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (i > 200) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const srv = {
    dir, db, port, base, token, proc,
    get stderr() { return stderr; },
    /** JSON request with the admin's bearer token unless auth is given. */
    async req(method, url, body, { auth = token, headers = {}, raw } = {}) {
      const h = { ...headers };
      if (auth) h.authorization = `Bearer ${auth}`;
      let payload;
      if (raw !== undefined) payload = raw;
      else if (body !== undefined) { payload = JSON.stringify(body); h['content-type'] ??= 'application/json'; }
      const r = await fetch(base + url, { method, headers: h, body: payload });
      const text = await r.text();
      let json = null;
      try { json = text ? JSON.parse(text) : null; } catch { json = text; }
      return { status: r.status, json, headers: r.headers };
    },
    /** Stops the server; asserts a clean exit (sanitizer builds exit non-zero on leaks). */
    async stop() {
      proc.kill('SIGTERM');
      const { code, sig } = await exited;
      rmSync(dir, { recursive: true, force: true });
      if (pg) pg.drop();
      assert.equal(code, 0, `server exit ${code} ${sig}: ${stderr.slice(-4000)}`);
    },
  };
  return srv;
}

/** A user of the given role with an API token. */
export async function userWithRole(srv, role) {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const r = await srv.req('POST', '/api/v1/users', { email, role, name: role, password: 'pass-word-1' });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const t = await srv.req('POST', '/api/v1/tokens', { email });
  assert.equal(t.status, 201);
  return { email, token: t.json.token, id: r.json.id };
}

export function person(extra = {}) {
  return { kind: 'person', first_name: 'Jean', last_name: 'Martin', email: `jean.${Math.random().toString(36).slice(2, 8)}@example.fr`, phone: '06 11 22 33 44', ...extra };
}
