// The tracking snippet in a real browser: a shop page served by a node server
// on another loopback port (cross-origin, so CORS is real) loads
// /t/relatio.js from relatio; the anonymous visit is tracked, then the shop's
// backend signs an identify token, the history joins the customer and the
// customer's banner is rendered into the page's slot. A consent-required site
// sends nothing before relatio.consent(true).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startStack, freePort, signIn, axeViolations } from './harness.mjs';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
let stack, shop, shopBase, site, strict, customer;

function sign(s, cid) {
  const exp = Math.floor(Date.now() / 1000) + 600;
  const mac = crypto.createHmac('sha256', s.secret).update(`${s.key}.${cid}.${exp}`).digest('hex');
  return `${cid}.${exp}.${mac}`;
}

function pageHtml(body, { key, consent = false, pre = '' }) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script>window.relatioQueue = ${pre || '[]'};</script>
<script async src="${stack.base}/t/relatio.js" data-key="${key}"${consent ? ' data-consent="required"' : ''}></script>
</head><body><div id="banner" data-relatio-slot="banner"></div>${body}</body></html>`;
}

before(async () => {
  stack = await startStack({ seed: [] });
  const port = await freePort();
  shopBase = `http://127.0.0.1:${port}`;
  site = await stack.api.must('POST', '/api/v1/tracking/sites', { name: 'Shop', origins: [shopBase] });
  strict = await stack.api.must('POST', '/api/v1/tracking/sites', { name: 'Strict', origins: [shopBase], require_consent: true });
  customer = await stack.api.must('POST', '/api/v1/customers', { kind: 'person', first_name: 'Léa', last_name: 'Roux', email: 'lea.roux@example.fr' });
  await stack.api.must('PUT', `/api/v1/customers/${customer.id}/personalization/banner`, {
    content: { title: 'Gabon: -20% for you', text: 'Your trip, cheaper this week', url: '/trips/gabon', link: 'See the offer' },
  });
  shop = http.createServer((req, res) => {
    const u = new URL(req.url, shopBase);
    let html;
    if (u.pathname === '/trips/gabon') {
      html = pageHtml('<h1>Gabon</h1><div data-relatio-product="TRIP-GAB"></div><button data-relatio-cart="TRIP-GAB">Add to cart</button>', { key: site.key });
    } else if (u.pathname === '/account') {
      // the shop's backend knows who signed in and signs the proof
      html = pageHtml('<h1>Your account</h1>', { key: site.key, pre: JSON.stringify([['identify', sign(site, customer.id)]]) });
    } else if (u.pathname === '/strict') {
      html = pageHtml('<button id="ok" onclick="relatio.consent(true)">Accept</button>', { key: strict.key, consent: true });
    } else {
      html = pageHtml('<h1>Shop</h1>', { key: site.key });
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((r) => shop.listen(port, '127.0.0.1', r));
});

after(async () => {
  await stack?.stop();
  await new Promise((r) => (shop ? shop.close(r) : r()));
});

async function shopPage() {
  const page = await stack.newPage();
  const cdp = await stack.context.newCDPSession(page);
  await cdp.send('Network.setUserAgentOverride', { userAgent: UA }); // headless Chrome counts as a bot
  return page;
}

const collected = (page) => page.waitForResponse((r) => r.url().endsWith('/t/collect') && r.request().method() === 'POST');

test('anonymous visit, then identify: history stitched and the banner rendered', async () => {
  const page = await shopPage();
  let resp = collected(page);
  await page.goto(`${shopBase}/?q=cheap+trip+to+Gabon`);
  assert.equal((await resp).status(), 200);
  resp = collected(page);
  await page.goto(`${shopBase}/trips/gabon`);
  const ack = await (await resp).json();
  assert.ok(ack.accepted >= 2, JSON.stringify(ack)); // page view + product view
  assert.equal(ack.customer_id, undefined);
  const visitor = (await stack.context.cookies(shopBase)).find((c) => c.name === 'relatio_vid').value;
  assert.equal(ack.visitor, visitor);
  resp = collected(page);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  assert.equal((await (await resp).json()).accepted, 1);
  assert.equal(await page.locator('#banner .relatio-content').count(), 0); // nobody known yet

  resp = collected(page);
  await page.goto(`${shopBase}/account`);
  const idAck = await (await resp).json();
  assert.equal(idAck.customer_id, customer.id, JSON.stringify(idAck));
  await page.locator('#banner .relatio-content strong').getByText('Gabon: -20% for you').waitFor();
  assert.equal(await page.locator('#banner a').getAttribute('href'), '/trips/gabon');
  assert.equal(await page.evaluate(() => window.relatio.content.banner.title), 'Gabon: -20% for you');

  const web = await stack.api.must('GET', `/api/v1/customers/${customer.id}/web-events`);
  const types = web.items.map((e) => e.type);
  for (const t of ['search', 'product_view', 'add_to_cart', 'identify']) assert.ok(types.includes(t), `${t} in ${types}`);
  assert.ok(web.items.every((e) => e.visitor === visitor));
  const report = await stack.api.must('GET', `/api/v1/tracking/report?site=${site.key}`);
  assert.ok(report.keywords.some((k) => k.keyword === 'cheap trip to gabon'), JSON.stringify(report.keywords));
  assert.deepEqual(report.funnel.slice(0, 2).map((f) => f.visitors), [1, 1]);
  assert.deepEqual(stack.takeErrors(), []);
});

test('a consent-required site sends nothing until the visitor accepts', async () => {
  const page = await shopPage();
  const posts = [];
  page.on('request', (r) => { if (r.url().endsWith('/t/collect') && r.method() === 'POST') posts.push(r); });
  await page.goto(`${shopBase}/strict`);
  await page.waitForFunction(() => window.relatio && window.relatio.version === 1);
  await page.waitForTimeout(300); // the snippet batches within 50 ms: nothing may leave
  assert.equal(posts.length, 0);
  const resp = collected(page);
  await page.getByRole('button', { name: 'Accept' }).click();
  const ack = await (await resp).json();
  assert.equal(ack.accepted, 1, JSON.stringify(ack));
  const report = await stack.api.must('GET', `/api/v1/tracking/report?site=${strict.key}`);
  assert.equal(report.page_views, 1);
  assert.deepEqual(stack.takeErrors(), []);
});

test('the audience page shows the tracked visits to staff', async () => {
  const page = await stack.newPage();
  await signIn(page);
  await page.getByRole('link', { name: 'Audience' }).click();
  await page.getByRole('heading', { name: 'Web audience' }).waitFor();
  await page.getByLabel('Site').selectOption({ label: 'Shop' });
  await page.getByRole('cell', { name: 'cheap trip to gabon' }).waitFor();
  await page.getByRole('cell', { name: 'Added to cart' }).waitFor();
  await page.getByRole('cell', { name: '/trips/gabon' }).waitFor();
  assert.match(await page.locator('pre').first().textContent(), new RegExp(`data-key="${site.key}"`));
  assert.deepEqual(await axeViolations(page), []);
  assert.deepEqual(stack.takeErrors(), []);
});
