// Real servers standing for the outside world in the campaign tests: an SMTP
// server (Debian's aiosmtpd with tests/smtp_sink.py, which stores every
// accepted message and refuses "bounce*" recipients with 550) and an HTTP
// endpoint standing for the SMS gateway (answers chosen per number).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './harness.mjs';

export async function startSmtpSink() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-smtp-'));
  const out = path.join(dir, 'mail.jsonl');
  const port = await freePort();
  const proc = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`,
    '-c', 'smtp_sink.Sink', out], {
    env: { ...process.env, PYTHONPATH: path.resolve('tests') }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  for (let i = 0; ; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 200) throw new Error(`aiosmtpd did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** Every message accepted so far. */
    messages() {
      if (!existsSync(out)) return [];
      return readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    to(addr) { return this.messages().filter((m) => m.to.includes(addr)); },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An SMS gateway: behaviour(body) returns {status} or 'hang' (no answer). */
export async function startGateway(behaviour) {
  const requests = [];
  const hanging = new Set();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      let json = null;
      try { json = JSON.parse(body); } catch { /* form bodies */ }
      requests.push({ body, json, headers: req.headers });
      const b = behaviour(json, requests.length);
      if (b === 'hang') { hanging.add(res); return; }
      res.writeHead(b.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(b.body ?? { ok: b.status < 300 }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/send`,
    requests,
    async stop() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export async function until(what, fn, ms = 20000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
