#!/usr/bin/env node
// A stand-in for `relatio serve`, in memory, following the API contract the
// web app is written against (auth, customers, timeline, interactions). For
// front-end work without the C server, and for the browser tests with
// RELATIO_MOCK=1. Not the reference: the C server is.
//   node web/dev/mock-server.mjs [--port 8080] [--bind 127.0.0.1] [--web web/dist] [--demo]
// One user: admin@example.com / secret-pass (admin).
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const port = Number(opt('port', 8080));
const bind = opt('bind', '127.0.0.1');
const webDir = resolve(opt('web', new URL('../dist', import.meta.url).pathname));

const users = [{ id: 1, email: 'admin@example.com', name: 'Admin', role: 'admin', password: 'secret-pass' }];
const sessions = new Map(); // sid -> { user, csrf }
const customers = [];
const interactions = [];
let nextId = 1;
let nextIx = 1;

const fold = (s) => String(s ?? '').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function problem(res, status, title, detail = '', errors = undefined) {
  const body = { type: 'about:blank', title, status, detail };
  if (errors) body.errors = errors;
  res.writeHead(status, { 'Content-Type': 'application/problem+json' });
  res.end(JSON.stringify(body));
}
function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(status === 204 ? '' : JSON.stringify(body));
}
function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k) out[k] = v.join('=');
  }
  return out;
}
async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  return JSON.parse(text);
}

function makeCustomer(b) {
  const id = String(nextId++);
  const t = now();
  const c = {
    id, kind: b.kind || 'person', first_name: b.first_name ?? null, last_name: b.last_name ?? null, name: b.name ?? null,
    email: b.email ?? null, phone: b.phone ?? null,
    emails: b.email ? [{ email: b.email, label: 'work', primary: true }] : [],
    phones: b.phone ? [{ phone: b.phone, label: 'mobile', primary: true }] : [],
    addresses: b.addresses ?? [], birth_date: b.birth_date ?? null, sex: b.sex ?? null, occupation: b.occupation ?? null,
    income_band: b.income_band ?? null, housing: b.housing ?? null, company_revenue_minor: b.company_revenue_minor ?? null,
    naf_code: b.naf_code ?? null, headcount: b.headcount ?? null, tags: b.tags ?? [], interests: b.interests ?? [],
    owner_id: b.owner_id ?? null, team: b.team ?? null, custom: b.custom ?? {}, source: b.source ?? null,
    lifecycle: b.lifecycle ?? 'prospect',
    stats: b.stats ?? { orders: 0, revenue_minor: 0, currency: 'EUR', first_order_at: null, last_order_at: null },
    flags: b.flags ?? [], consents: b.consents ?? [], relations: [],
    field_updated_at: b.field_updated_at ?? { identity: t, contact: t, socio: t, company: t, preferences: t },
    preferences: b.preferences ?? { preferred_channel: null, quiet_hours_start: null, quiet_hours_end: null, callback_requested_at: null, language: null },
    created_at: t, updated_at: t, version: 1,
  };
  c.display_name = c.kind === 'organization' ? c.name : [c.first_name, c.last_name].filter(Boolean).join(' ') || c.email || `#${id}`;
  customers.push(c);
  return c;
}

function page(list, url, limitDefault) {
  const limit = Math.min(500, Math.max(1, Number(url.searchParams.get('limit') || limitDefault)));
  const cursor = Number(url.searchParams.get('cursor') || 0);
  const items = list.slice(cursor, cursor + limit);
  const next = cursor + limit < list.length ? String(cursor + limit) : null;
  return { items, next_cursor: next };
}

async function api(req, res, url) {
  const path = url.pathname.slice('/api/v1'.length);
  const sid = cookies(req).relatio_session;
  const sess = sid ? sessions.get(sid) : null;
  const unsafe = !['GET', 'HEAD'].includes(req.method);

  if (path === '/auth/login' && req.method === 'POST') {
    let b;
    try { b = await readBody(req); } catch { return problem(res, 400, 'Bad Request', 'the body is not valid JSON'); }
    const errors = [];
    if (!b.email) errors.push({ field: 'email', message: 'is required' });
    if (!b.password) errors.push({ field: 'password', message: 'is required' });
    if (errors.length) return problem(res, 422, 'Unprocessable Content', 'some fields are invalid', errors);
    const u = users.find((x) => x.email.toLowerCase() === String(b.email).toLowerCase() && x.password === b.password);
    if (!u) return problem(res, 401, 'Unauthorized', 'wrong e-mail or password');
    const id = randomBytes(16).toString('hex');
    const csrf = randomBytes(16).toString('hex');
    const user = { id: u.id, email: u.email, name: u.name, role: u.role };
    sessions.set(id, { user, csrf });
    return json(res, 200, { user, csrf_token: csrf }, { 'Set-Cookie': `relatio_session=${id}; Path=/; HttpOnly; SameSite=Lax` });
  }
  if (!sess) return problem(res, 401, 'Unauthorized', 'sign in first');
  if (unsafe && req.headers['x-csrf-token'] !== sess.csrf) return problem(res, 403, 'Forbidden', 'missing or wrong CSRF token');

  if (path === '/auth/me' && req.method === 'GET') return json(res, 200, { user: sess.user, csrf_token: sess.csrf });
  if (path === '/auth/logout' && req.method === 'POST') {
    sessions.delete(sid);
    res.writeHead(204, { 'Set-Cookie': 'relatio_session=; Path=/; Max-Age=0' });
    return res.end();
  }
  if (path === '/customers' && req.method === 'GET') {
    const q = fold(url.searchParams.get('q'));
    const kind = url.searchParams.get('kind');
    const lc = url.searchParams.get('lifecycle');
    const country = url.searchParams.get('country');
    const list = customers.filter((c) =>
      (!q || fold([c.display_name, c.email, c.phone].join(' ')).includes(q)) &&
      (!kind || c.kind === kind) && (!lc || c.lifecycle === lc) &&
      (!country || c.addresses.some((a) => (a.country || '').toUpperCase() === country.toUpperCase())));
    return json(res, 200, page(list, url, 50));
  }
  if (path === '/customers' && req.method === 'POST') {
    const b = await readBody(req);
    const errors = [];
    if (!['person', 'organization', 'guest'].includes(b.kind)) errors.push({ field: 'kind', message: 'must be person, organization or guest' });
    if (b.kind === 'organization' && !b.name) errors.push({ field: 'name', message: 'is required' });
    if (errors.length) return problem(res, 422, 'Unprocessable Content', 'some fields are invalid', errors);
    return json(res, 201, makeCustomer(b));
  }
  let m = path.match(/^\/customers\/([^/]+)$/);
  if (m && req.method === 'GET') {
    const c = customers.find((x) => x.id === m[1]);
    if (!c) return problem(res, 404, 'Not Found', 'no such customer');
    return json(res, 200, c, { ETag: `"${c.version}"` });
  }
  m = path.match(/^\/customers\/([^/]+)\/relations$/);
  if (m && req.method === 'POST') {
    const b = await readBody(req);
    const a = customers.find((x) => x.id === m[1]);
    const o = customers.find((x) => x.id === String(b.related_id));
    if (!a) return problem(res, 404, 'Not Found', 'no such customer');
    if (!o) return problem(res, 404, 'Not Found', 'no such customer', [{ field: 'related_id', message: 'no such customer' }]);
    if (!['household', 'referral', 'employee_of', 'contact_of'].includes(b.kind)) return problem(res, 422, 'Unprocessable Content', 'some fields are invalid', [{ field: 'kind', message: 'must be one of: household|referral|employee_of|contact_of' }]);
    a.relations = [...(a.relations ?? []), { related_id: o.id, kind: b.kind, direction: 'to', display_name: o.display_name }];
    o.relations = [...(o.relations ?? []), { related_id: a.id, kind: b.kind, direction: 'from', display_name: a.display_name }];
    return json(res, 200, a);
  }
  m = path.match(/^\/customers\/([^/]+)\/timeline$/);
  if (m && req.method === 'GET') {
    const c = customers.find((x) => x.id === m[1]);
    if (!c) return problem(res, 404, 'Not Found', 'no such customer');
    const ch = url.searchParams.get('channel');
    const list = interactions
      .filter((x) => x.customer_id === c.id && (!ch || x.channel === ch))
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : b.seq - a.seq))
      .map((x) => ({ kind: 'interaction', id: x.id, at: x.at, channel: x.channel, direction: x.direction, title: x.subject, detail: x.body, outcome: x.outcome, offer: x.offer, amount_minor: null, currency: null }));
    return json(res, 200, page(list, url, 20));
  }
  if (path === '/interactions' && req.method === 'POST') {
    const b = await readBody(req);
    const errors = [];
    const c = customers.find((x) => x.id === String(b.customer_id));
    if (!c) errors.push({ field: 'customer_id', message: 'no such customer' });
    if (!['web', 'email', 'phone', 'sms', 'mail', 'store', 'call_center', 'chat', 'social'].includes(b.channel)) errors.push({ field: 'channel', message: 'unknown channel' });
    if (!['inbound', 'outbound'].includes(b.direction)) errors.push({ field: 'direction', message: 'must be inbound or outbound' });
    if (b.outcome === 'offer_refused' && !b.offer) errors.push({ field: 'offer', message: 'name the offer that was refused' });
    if (errors.length) return problem(res, 422, 'Unprocessable Content', 'some fields are invalid', errors);
    const ix = { id: String(nextIx), seq: nextIx++, customer_id: c.id, channel: b.channel, direction: b.direction, subject: b.subject ?? '', body: b.body ?? '', outcome: b.outcome ?? null, offer: b.offer ?? null, at: b.at || now() };
    interactions.push(ix);
    return json(res, 201, ix);
  }
  return problem(res, 404, 'Not Found', `no route ${req.method} ${url.pathname}`);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

async function serveStatic(req, res, url) {
  const rel = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
  let file = join(webDir, rel);
  if (!file.startsWith(webDir)) file = join(webDir, 'index.html');
  try {
    if (!(await stat(file)).isFile()) throw new Error('dir');
  } catch {
    if (url.pathname.startsWith('/assets/')) return problem(res, 404, 'Not Found');
    file = join(webDir, 'index.html');
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream' });
    res.end(body);
  } catch {
    problem(res, 404, 'Not Found', 'web app not built');
  }
}

if (args.includes('--demo')) {
  const names = [['Hélène', 'Dupont'], ['François', 'Maroy'], ['Zoé', 'Lefèvre'], ['John', 'Smith'], ['Émile', 'Garçon']];
  for (const [f, l] of names) makeCustomer({ kind: 'person', first_name: f, last_name: l, email: `${fold(f)}.${fold(l)}@example.com`, phone: '+33 6 12 34 56 78', addresses: [{ label: 'home', line1: '1 rue de la Paix', postal_code: '75002', city: 'Paris', country: 'FR' }], lifecycle: 'active', stats: { orders: 3, revenue_minor: 15000, currency: 'EUR', first_order_at: '2025-01-01', last_order_at: '2026-05-01' } });
  makeCustomer({ kind: 'organization', name: 'Acme SARL', naf_code: '47.91B', headcount: 42, company_revenue_minor: 120000000 });
  makeCustomer({
    kind: 'person', first_name: 'Marie', last_name: 'Curie', email: 'marie.curie@example.fr', phone: '+33 1 23 45 67 89',
    addresses: [{ label: 'home', line1: '36 quai de Béthune', postal_code: '75004', city: 'Paris', country: 'FR' }],
    birth_date: '1967-11-07', sex: 'female', occupation: 'cadre', income_band: '60-80k', housing: 'owner',
    tags: ['vip', 'newsletter'], interests: ['travel', 'gardening'], team: 'Paris', owner_id: 1,
    source: { kind: 'rented', name: 'Fichier Abonnés 2025', terms: 'one mailing, no phone', expires_at: '2026-12-31' },
    lifecycle: 'active', flags: [{ flag: 'at_risk', reason: 'survey score 2/10', at: '2026-05-02T10:00:00Z' }],
    consents: [
      { channel: 'email', purpose: 'marketing', granted: true, at: '2025-03-01T09:00:00Z', legal_basis: 'consent', source: 'web form' },
      { channel: 'sms', purpose: 'marketing', granted: false, at: '2025-03-01T09:00:00Z', legal_basis: 'consent', source: 'web form' },
    ],
    preferences: { preferred_channel: 'email', quiet_hours_start: '20:00', quiet_hours_end: '09:00', callback_requested_at: null, language: 'fr' },
    field_updated_at: { identity: '2026-01-10T10:00:00Z', contact: '2022-05-01T10:00:00Z', socio: '2021-03-01T10:00:00Z', company: null, preferences: '2025-09-01T10:00:00Z' },
    stats: { orders: 12, revenue_minor: 184550, currency: 'EUR', first_order_at: '2023-02-11', last_order_at: '2026-04-30' },
  });
  for (let n = 1; n <= 120; n++) makeCustomer({ kind: 'person', first_name: `Client${n}`, last_name: 'Test', email: `client${n}@example.com` });
}

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  try {
    if (url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
    if (url.pathname.startsWith('/api/')) return await api(req, res, url);
    return await serveStatic(req, res, url);
  } catch (e) {
    problem(res, 400, 'Bad Request', String(e.message || e));
  }
}).listen(port, bind, () => console.error(`mock relatio on http://${bind}:${port}/`));
