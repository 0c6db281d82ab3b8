// Crash safety of the send queue: the server is killed (SIGKILL) while it
// delivers a 1,000-message campaign to a real SMTP server, then restarted on
// the same database; the SMTP server ends with exactly 1,000 distinct
// messages, one per recipient (a message in flight at the kill may arrive
// twice with the same Message-ID: at-least-once with an idempotency key).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startServer, person, freePort, BIN } from './harness.mjs';
import { startSmtpSink, until } from './sinks.mjs';

const N = 1000;

async function parallel(items, width, fn) {
  const out = [];
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

test('SIGKILL during a 1,000-message campaign, restart: exactly 1,000 distinct messages', { timeout: 300000 }, async (t) => {
  const smtp = await startSmtpSink();
  const srv = await startServer();
  let second = null;
  try {
    let r = await srv.req('PUT', '/api/v1/campaign-settings', {
      smtp_url: smtp.url, from: 'Relatio <news@relatio.test>', public_url: srv.base,
      quiet_start: null, quiet_end: null, rate_per_sec: 150, pressure_max: 0,
    });
    assert.equal(r.status, 200);
    const ids = await parallel(Array.from({ length: N }, (_, i) => i), 8, async (i) => {
      const c = await srv.req('POST', '/api/v1/customers', person({ email: `crash-${i}@example.test` }));
      assert.equal(c.status, 201, JSON.stringify(c.json));
      const k = await srv.req('POST', `/api/v1/customers/${c.json.id}/consents`, { channel: 'email', purpose: 'marketing', granted: true });
      assert.equal(k.status, 201);
      return c.json.id;
    });
    r = await srv.req('POST', '/api/v1/campaigns', {
      name: 'Crash', channel: 'email', control_pct: 0, customer_ids: ids,
      subject_fr: 'Bonjour {{ first_name }}', body_fr: 'Message pour {{ email }}',
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const cid = r.json.id;
    r = await srv.req('POST', `/api/v1/campaigns/${cid}/launch`);
    assert.equal(r.status, 200);
    assert.equal(r.json.launch.queued, N);

    await until('a part of the campaign delivered', () => smtp.messages().length >= 250, 60000);
    srv.proc.kill('SIGKILL');
    await new Promise((res) => (srv.proc.exitCode !== null || srv.proc.signalCode ? res() : srv.proc.once('exit', res)));
    const atKill = smtp.messages().length;
    t.diagnostic(`killed after ${atKill} messages`);
    assert.ok(atKill < N, 'the kill came before the end');

    // restart on the same database
    const port = await freePort();
    second = spawn(BIN, ['serve', '--db', srv.db, '--port', String(port), '--bind', '127.0.0.1'],
      { env: { ...process.env, RELATIO_PWHASH: 'fast', RELATIO_LOG: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    second.stderr.on('data', (d) => { stderr += d; });
    const base = `http://127.0.0.1:${port}`;
    const get = async (url) => (await fetch(base + url, { headers: { authorization: `Bearer ${srv.token}` } })).json();
    await until('restart', async () => { try { return (await fetch(`${base}/healthz`)).ok; } catch { return false; } });
    const res = await until('the campaign finished', async () => {
      const x = await get(`/api/v1/campaigns/${cid}/results`);
      return x.messages.sent === N ? x : null;
    }, 120000);
    assert.deepEqual(res.messages, { sent: N });
    assert.equal((await get(`/api/v1/campaigns/${cid}`)).status, 'sent');

    const msgs = smtp.messages();
    const distinct = new Set(msgs.map((m) => m.message_id));
    assert.equal(distinct.size, N);
    for (const id of ids) assert.ok(distinct.has(`<c${cid}.${id}@relatio.test>`), `customer ${id}`);
    // every copy of a message is the same message (same recipient and id)
    const byId = new Map();
    for (const m of msgs) {
      const cust = Number(m.message_id.match(/\.(\d+)@/)[1]);
      if (byId.has(cust)) assert.equal(m.to[0], byId.get(cust));
      byId.set(cust, m.to[0]);
    }
    assert.equal(new Set(byId.values()).size, N);
    const dupes = msgs.length - N;
    t.diagnostic(`${msgs.length} SMTP transactions for ${N} messages (${dupes} re-sent after the kill)`);
    assert.ok(dupes <= 1, `at most the one message in flight is re-sent, got ${dupes}`);

    second.kill('SIGTERM');
    const code = await new Promise((res) => second.once('exit', (c) => res(c)));
    second = null;
    assert.equal(code, 0, stderr.slice(-3000));
  } finally {
    if (second) second.kill('SIGKILL');
    if (srv.proc.exitCode === null && !srv.proc.signalCode) srv.proc.kill('SIGKILL');
    await smtp.stop();
    rmSync(srv.dir, { recursive: true, force: true });
  }
});
