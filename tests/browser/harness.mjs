// Browser-test harness: a real relatio server on a free loopback port with a
// fresh database in a temp dir, a seeded user and customers, and headless
// Debian Chromium driven by playwright-core (from web/node_modules). Every
// page's console errors are collected; stop() tears everything down.
//
//   RELATIO_BIN   server binary (default build/rel/relatio)
//   RELATIO_MOCK  =1: use web/dev/mock-server.mjs instead (front-end work only)
//   CHROMIUM      browser binary (default /usr/bin/chromium)
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before } from 'node:test';
import assert from 'node:assert/strict';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
// Screenshots go to docs/screenshots when RELATIO_SCREENSHOTS=docs (to refresh
// the user guide's pictures), else to build/screenshots so a test run leaves
// the work tree clean.
export const SCREENSHOTS = join(ROOT, process.env.RELATIO_SCREENSHOTS === 'docs' ? 'docs/screenshots' : 'build/screenshots');
export const ADMIN = { email: 'admin@example.com', password: 'secret-pass', name: 'Admin' };

const require = createRequire(join(ROOT, 'web/package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic', '--no-first-run',
];

/** Customers every test can count on (one with an accented name). */
export const SEED_CUSTOMERS = [
  { kind: 'person', first_name: 'Hélène', last_name: 'Dupont', email: 'helene.dupont@example.com', phone: '+33 6 12 34 56 78' },
  { kind: 'person', first_name: 'François', last_name: 'Maroy', email: 'francois.maroy@example.com', phone: '+33 6 98 76 54 32' },
  { kind: 'person', first_name: 'Zoé', last_name: 'Lefèvre', email: 'zoe.lefevre@example.fr', phone: '+33 7 11 22 33 44' },
  { kind: 'person', first_name: 'John', last_name: 'Smith', email: 'john.smith@example.co.uk', phone: '+44 20 7946 0958' },
  { kind: 'organization', name: 'Boulangerie Émile SARL' },
];

/** A loopback port that was free a moment ago. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
});

/** A small API client for seeding, with the session cookie and CSRF token. */
export class ApiClient {
  constructor(base) {
    this.base = base;
    this.cookie = '';
    this.csrf = '';
  }
  async call(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.cookie) headers.Cookie = this.cookie;
    if (this.csrf && method !== 'GET') headers['X-CSRF-Token'] = this.csrf;
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    return { status: res.status, data, headers: res.headers };
  }
  async login(email, password) {
    const r = await this.call('POST', '/api/v1/auth/login', { email, password });
    if (r.status !== 200) throw new Error(`login ${email}: HTTP ${r.status} ${JSON.stringify(r.data)}`);
    const set = r.headers.getSetCookie?.() ?? [r.headers.get('set-cookie') ?? ''];
    this.cookie = set.map((c) => c.split(';')[0]).filter(Boolean).join('; ');
    this.csrf = r.data.csrf_token ?? '';
    return r.data;
  }
  async must(method, path, body, want = [200, 201, 204]) {
    const r = await this.call(method, path, body);
    if (!want.includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.data)}`);
    return r.data;
  }
}

/**
 * Starts server + browser. Returns { base, api, context, newPage, errors,
 * customers, stop }. Call stop() in an after() hook: it is safe to call
 * twice and after a failed start.
 */
export async function startStack({ seed = SEED_CUSTOMERS } = {}) {
  const dist = join(ROOT, 'web/dist/index.html');
  if (!existsSync(dist)) throw new Error('web/dist is missing: run `make web` (or `cd web && npm run build`) first');
  const mock = process.env.RELATIO_MOCK === '1';
  const bin = resolve(ROOT, process.env.RELATIO_BIN || 'build/rel/relatio');
  if (!mock && !existsSync(bin)) throw new Error(`server binary ${bin} not found: run \`make\` first (or set RELATIO_BIN)`);

  const tmp = mkdtempSync(join(tmpdir(), 'relatio-browser-'));
  const db = join(tmp, 't.db');
  const logPath = join(tmp, 'server.log');
  const env = { ...process.env, RELATIO_PWHASH: 'fast' };
  const stack = { tmp, errors: [], pages: [], server: null, context: null, stopped: false };

  stack.stop = async () => {
    if (stack.stopped) return;
    stack.stopped = true;
    try { await stack.context?.close(); } catch { /* already gone */ }
    const srv = stack.server;
    if (srv && srv.exitCode === null && srv.signalCode === null) {
      const exited = new Promise((r) => srv.once('exit', r));
      srv.kill('SIGTERM');
      const t = setTimeout(() => srv.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    if (srv) live.delete(srv);
    if (process.env.RELATIO_KEEP_TMP !== '1') rmSync(tmp, { recursive: true, force: true });
  };
  stack.serverLog = () => {
    try { return readFileSync(logPath, 'utf8'); } catch { return ''; }
  };

  try {
    if (!mock) {
      const add = spawnSync(bin, ['user', 'add', '--db', db, '--email', ADMIN.email, '--password-stdin', '--role', 'admin', '--name', ADMIN.name], {
        input: `${ADMIN.password}\n`, env, encoding: 'utf8', timeout: 30000,
      });
      if (add.status !== 0) throw new Error(`relatio user add failed (${add.status}): ${add.stderr}${add.stdout}`);
    }
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const cmd = mock ? process.execPath : bin;
    const argv = mock
      ? [join(ROOT, 'web/dev/mock-server.mjs'), '--port', String(port), '--bind', '127.0.0.1', '--web', join(ROOT, 'web/dist')]
      : ['serve', '--db', db, '--port', String(port), '--bind', '127.0.0.1', '--web', join(ROOT, 'web/dist')];
    const log = openSync(logPath, 'a');
    stack.server = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['ignore', log, log] });
    closeSync(log);
    live.add(stack.server);

    const deadline = Date.now() + 20000;
    for (;;) {
      if (stack.server.exitCode !== null) throw new Error(`server exited (${stack.server.exitCode}):\n${stack.serverLog()}`);
      try {
        const r = await fetch(`${base}/healthz`);
        if (r.status === 200) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`server did not answer /healthz in 20 s:\n${stack.serverLog()}`);
      await sleep(100);
    }
    stack.base = base;

    const api = new ApiClient(base);
    await api.login(ADMIN.email, ADMIN.password);
    stack.api = api;
    stack.customers = [];
    for (const c of seed) stack.customers.push(await api.must('POST', '/api/v1/customers', c, [201, 200]));

    const profile = join(tmp, 'profile');
    mkdirSync(profile);
    stack.context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 860 },
      locale: 'en-GB',
      timezoneId: 'Europe/Paris',
      baseURL: base,
    });
    stack.context.setDefaultTimeout(10000);
    // A persistent context opens with one blank page: reuse it.
    for (const p of stack.context.pages()) watch(stack, p);
    stack.context.on('page', (p) => watch(stack, p));
  } catch (e) {
    await stack.stop();
    throw e;
  }

  /** A fresh page, its console watched. */
  stack.newPage = async () => {
    const blank = stack.context.pages().find((p) => p.url() === 'about:blank' && !p.__used);
    const page = blank ?? (await stack.context.newPage());
    page.__used = true;
    return page;
  };
  /** Console errors so far (and clears the list). */
  stack.takeErrors = () => stack.errors.splice(0);
  return stack;
}

// Failed loads the app expects and handles (the browser logs each one as a
// console error): checking the session when signed out, a wrong password,
// and the analytics endpoint that does not exist yet.
const EXPECTED_HTTP = [
  { status: 401, path: '/api/v1/auth/me' },
  { status: 401, path: '/api/v1/auth/login' },
  { status: 404, path: '/api/v1/analytics/kpis' },
  { status: 501, path: '/api/v1/analytics/kpis' },
  // the call pop-up's stream: the mock server has no telephony; a session
  // that ends closes it with a 401
  { status: 404, path: '/api/v1/cti/stream' },
  { status: 401, path: '/api/v1/cti/stream' },
];

function watch(stack, page) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const url = msg.location()?.url ?? '';
    const m = /status of (\d+)/.exec(text);
    if (m && text.startsWith('Failed to load resource')) {
      const path = url ? new URL(url, stack.base).pathname : '';
      if (EXPECTED_HTTP.some((x) => x.status === Number(m[1]) && x.path === path)) return;
    }
    stack.errors.push(`console.error: ${text}${url ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (err) => stack.errors.push(`page error: ${err.message}`));
}

/** Signs in through the form (unless already signed in) and waits for the dashboard. */
export async function signIn(page, { email = ADMIN.email, password = ADMIN.password } = {}) {
  await page.goto('/#/login');
  await page.locator('#login-email, #main').first().waitFor();
  if (await page.locator('#main').count()) {
    // already signed in (the context keeps the cookie): go to the dashboard
    await page.goto('/#/dashboard');
    return;
  }
  await page.getByLabel(/^(E-mail|Adresse e-mail)$/).fill(email);
  await page.getByLabel(/^(Password|Mot de passe)$/).fill(password);
  await page.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).click();
  await page.waitForURL(/#\/dashboard/);
}

/**
 * Runs axe-core (WCAG 2.1 A/AA rules) on the page; returns the violations of
 * serious or critical impact as readable lines.
 */
export async function axeViolations(page, { include } = {}) {
  const axe = require('axe-core');
  // evaluated through the DevTools protocol: the server's CSP forbids inline scripts, rightly
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(axe.source);
  const result = await page.evaluate(async (inc) => {
    const r = await window.axe.run(inc ? { include: [inc] } : document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  }, include ?? null);
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(', ')})`);
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/**
 * Registers the usual hooks of a browser test file: a stack with one page
 * signed in as the admin before the tests (handed to ready(stack, page)),
 * no console errors after each test, and the stack stopped at the end.
 */
export function signedInStack(ready, opts) {
  let stack;
  before(async () => {
    stack = await startStack(opts);
    const page = await stack.newPage();
    await signIn(page);
    ready(stack, page);
  });
  after(async () => { await stack?.stop(); });
  afterEach(() => {
    const errs = stack?.takeErrors() ?? [];
    assert.deepEqual(errs, [], 'no console errors');
  });
}
