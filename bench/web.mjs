// Web app timings on a big database (issue 7): the first screen after
// sign-in until it is interactive (the dashboard's KPI cards drawn), a
// reload of the dashboard with a live session, the customer list, and search
// results as you type (keystroke → list redrawn), in headless Chromium.
//   node bench/web.mjs DB [RUNS]     (adds the user bench-web@example.com)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const { chromium } = createRequire(path.resolve('web/package.json'))('playwright-core');
const db = process.argv[2];
const runs = Number(process.argv[3] ?? 5);
if (!db) {
  console.error('usage: node bench/web.mjs DB [RUNS]');
  process.exit(1);
}
const BIN = path.resolve(process.env.RELATIO_BIN || 'build/rel/relatio');
const EMAIL = 'bench-web@example.com';
const PASSWORD = 'bench-web-pass';
spawnSync(BIN, ['user', 'add', '--db', db, '--email', EMAIL, '--role', 'admin', '--name', 'Bench', '--password-stdin'],
  { input: `${PASSWORD}\n`, env: { ...process.env, RELATIO_LOG: 'error' } });

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const server = spawn(BIN, ['serve', '--db', db, '--port', String(port), '--bind', '127.0.0.1'],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, RELATIO_LOG: 'warn' } });
const base = `http://127.0.0.1:${port}`;
const started = Date.now();
for (;;) {
  try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 100));
}
console.log(`server up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-webbench-'));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const p95 = (a) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.ceil(a.length * 0.95) - 1)];
const out = { shell: [], signIn: [], reload: [], customers: [], search: [] };
try {
  for (let i = 0; i < runs; i++) {
    const ctx = await browser.newContext({ baseURL: base });
    const page = await ctx.newPage();
    await page.goto('/#/login');
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    let t0 = performance.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1 }).waitFor({ timeout: 60000 });
    out.shell.push(performance.now() - t0);
    await page.locator('.page .grid-2 .card').first().waitFor({ timeout: 60000 });
    out.signIn.push(performance.now() - t0);
    t0 = performance.now();
    await page.reload();
    await page.locator('.page .grid-2 .card').first().waitFor({ timeout: 60000 });
    out.reload.push(performance.now() - t0);
    t0 = performance.now();
    await page.goto('/#/customers');
    await page.locator('table tbody tr').first().waitFor({ timeout: 60000 });
    out.customers.push(performance.now() - t0);
    const box = page.locator('#cust-q');
    for (const q of ['m', 'ma', 'mar', 'mart', 'marti', 'martin', 'dupont', 'dupont lyon', 'hel', 'hélène']) {
      t0 = performance.now();
      const answered = page.waitForResponse((r) => r.url().includes('/api/v1/customers?') && new URL(r.url()).searchParams.get('q') === q, { timeout: 60000 });
      await box.fill(q);
      await answered;
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
      out.search.push(performance.now() - t0);
    }
    await ctx.close();
  }
} finally {
  await browser.close();
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
const f = (a) => `median ${median(a).toFixed(0)} ms, p95 ${p95(a).toFixed(0)} ms (n=${a.length})`;
console.log(`sign-in → shell usable:          ${f(out.shell)}`);
console.log(`sign-in → dashboard KPIs drawn:  ${f(out.signIn)}`);
console.log(`dashboard reload (session kept): ${f(out.reload)}`);
console.log(`customer list first page:        ${f(out.customers)}`);
console.log(`search as you type (key → list): ${f(out.search)}`);
