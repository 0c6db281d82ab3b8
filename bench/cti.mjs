// Screen-pop benchmark through the HTTP API: A agents (default 20) each
// listen on the call-card stream (server-sent events); C customers (default
// 2,000) have phone numbers; N ringing events (default 2,000; one in ten from
// an unknown number) are posted signed, P at a time (default 4), each to a
// random agent. Measured per call: from just before the POST to the moment
// the agent's stream delivers that call's card (lookup by number, the card
// with scores and last orders, the hub, the streamed answer). Prints p50,
// p95, p99 and max, and the answer time of the webhook itself.
//   node bench/cti.mjs   (RELATIO_BIN, CTI_AGENTS, CTI_CUSTOMERS, CTI_CALLS, CTI_PARALLEL)
import crypto from 'node:crypto';
import { startServer, person, userWithRole } from '../tests/api/harness.mjs';

const A = Number(process.env.CTI_AGENTS || 20);
const C = Number(process.env.CTI_CUSTOMERS || 2000);
const N = Number(process.env.CTI_CALLS || 2000);
const P = Number(process.env.CTI_PARALLEL || 4);
const SECRET = 'bench-cti-secret-0123456789';
const srv = await startServer({ env: { RELATIO_CTI_SECRET: SECRET } });
const row = (k, v) => console.log(k.padEnd(56) + ' ' + v);
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const streams = [];
try {
  let t0 = performance.now();
  const phones = [];
  for (let i = 0; i < C; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, C - i) }, async (_, j) => {
      const phone = `+3361${String(10000000 + i + j).slice(1)}`;
      const c = (await srv.req('POST', '/api/v1/customers', person({ phone }))).json;
      if (!c.id) throw new Error(JSON.stringify(c));
      if ((i + j) % 3 === 0) await srv.req('POST', '/api/v1/orders', { customer_id: c.id, currency: 'EUR', total_minor: 1000 + j });
      phones.push(phone);
    }));
  }
  row(`seed ${C} customers with phones (a third with an order)`, `${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const pending = new Map(); // call_id -> resolve(time received)
  const agents = [];
  for (let a = 0; a < A; a++) {
    const u = await userWithRole(srv, 'support');
    const ctl = new AbortController();
    const r = await fetch(`${srv.base}/api/v1/cti/stream`, { headers: { authorization: `Bearer ${u.token}` }, signal: ctl.signal });
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    streams.push(ctl);
    (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const now = performance.now();
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (!block.includes('event: call') || !data) continue;
            const m = JSON.parse(data.slice(6));
            pending.get(m.call.call_id)?.(now);
          }
        }
      } catch { /* aborted at the end */ }
    })();
    agents.push(u);
  }
  await new Promise((res) => setTimeout(res, 200));

  const lat = [];
  const ack = [];
  let next = 0;
  let failures = 0;
  t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const k = next++;
      if (k >= N) return;
      const agent = agents[k % A];
      const from = k % 10 === 9 ? `+3379${String(10000000 + k).slice(1)}` : phones[(k * 7919) % phones.length];
      const body = JSON.stringify({ call_id: `bench-${k}`, event: 'ringing', from, to: '+33140000000', agent: agent.email });
      const ts = String(Math.floor(Date.now() / 1000));
      const sig = 'sha256=' + crypto.createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
      const got = new Promise((res) => pending.set(`bench-${k}`, res));
      const start = performance.now();
      const r = await fetch(`${srv.base}/api/v1/cti/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-cti-timestamp': ts, 'x-cti-signature': sig }, body });
      await r.arrayBuffer();
      ack.push(performance.now() - start);
      if (r.status !== 200) { failures++; pending.delete(`bench-${k}`); continue; }
      const when = await Promise.race([got, new Promise((res) => setTimeout(() => res(null), 10000))]);
      pending.delete(`bench-${k}`);
      if (when === null) failures++;
      else lat.push(when - start);
    }
  };
  await Promise.all(Array.from({ length: P }, worker));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((x, y) => x - y);
  ack.sort((x, y) => x - y);
  const ms = (v) => `${v.toFixed(1)} ms`;
  row(`${N} ringing events, ${P} in flight, ${A} agents listening`, `${(N / secs).toFixed(0)} events/s`);
  row('screen pop (POST → card on the SSE stream) p50', ms(pct(lat, 50)));
  row('screen pop p95', ms(pct(lat, 95)));
  row('screen pop p99 (target < 1000 ms)', ms(pct(lat, 99)));
  row('screen pop max', ms(lat[lat.length - 1]));
  row('webhook answer p99', ms(pct(ack, 99)));
  row('calls without a pop-up (failures)', String(failures));
} finally {
  for (const ctl of streams) ctl.abort();
  await srv.stop();
}
