// Web forms in a real browser: a marketer builds a form in the app (fields,
// a consent box with its wording) and takes its embed code; a shop served by
// a node server on another loopback port (cross-origin) shows it through the
// snippet and as plain HTML; visitors send it; the prospect appears in the
// app with the consent's wording, and a script typed in the form is shown as
// text, never run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack, freePort, signIn, axeViolations } from './harness.mjs';

const WORDING = 'I agree to receive offers from the shop by e-mail (unsubscribe at any time).';
const SCRIPT = '<img src=x onerror="window.pwned=1">Hello';
let stack, shop, shopBase, form, plainHtml = '';

before(async () => {
  stack = await startStack({ seed: [] });
  const port = await freePort();
  shopBase = `http://127.0.0.1:${port}`;
  shop = http.createServer((req, res) => {
    const u = new URL(req.url, shopBase);
    let body;
    if (u.pathname === '/contact') {
      body = `<h1>Contact us</h1><div id="f" data-relatio-form="${form.key}"></div>
<script src="${stack.base}/relatio-form.js" async></script>`;
    } else if (u.pathname === '/plain') {
      body = `<h1>Plain</h1>${plainHtml}`;
    } else {
      body = '<h1>Shop</h1>';
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body>${body}</body></html>`);
  });
  await new Promise((r) => shop.listen(port, '127.0.0.1', r));
});

after(async () => {
  await stack?.stop();
  await new Promise((r) => (shop ? shop.close(r) : r()));
});

test('a marketer builds a form in the app and gets its embed code', async () => {
  const page = await stack.newPage();
  await signIn(page);
  await page.getByRole('link', { name: 'Web forms' }).click();
  await page.getByRole('heading', { name: 'Web forms and lead capture', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'New form' }).click();
  await page.getByLabel('Name', { exact: true }).first().fill('Shop contact');
  await page.getByLabel('Title shown').fill('Write to us');
  await page.getByLabel('Thank-you message').fill('Thanks, we will answer within a day.');
  await page.getByLabel('Sites allowed to post (empty: any)').fill(shopBase);
  await page.getByRole('button', { name: 'Add a field' }).click();
  await page.getByLabel('Name 4').fill('message');
  await page.getByLabel('Label 4').fill('Your message');
  await page.getByLabel('Type 4').selectOption('textarea');
  await page.getByLabel('Customer field 4').selectOption('message');
  await page.getByRole('button', { name: 'Add a consent box' }).click();
  await page.getByLabel('Exact wording shown (kept as proof)').fill(WORDING);
  await page.getByRole('button', { name: 'Save the form' }).click();
  await page.getByRole('heading', { name: 'Embed “Shop contact”' }).waitFor();
  const forms = await stack.api.must('GET', '/api/v1/forms');
  form = forms.items.find((f) => f.name === 'Shop contact');
  assert.ok(form, 'saved');
  assert.equal(form.consents[0].wording, WORDING);
  assert.deepEqual(form.origins, [shopBase]);
  const snippet = await page.getByLabel('Snippet (renders the form, solves the proof of work):').inputValue();
  assert.match(snippet, new RegExp(`data-relatio-form="${form.key}"`));
  plainHtml = await page.getByLabel('Plain HTML (no script):').inputValue();
  assert.match(plainHtml, new RegExp(`action="${stack.base}/f/${form.key}"`));
  assert.deepEqual(await axeViolations(page), []);
  assert.deepEqual(stack.takeErrors(), []);
});

test('a visitor sends the form through the snippet on another site; the prospect appears with the consent wording', async () => {
  const page = await stack.newPage();
  await page.goto(`${shopBase}/contact?campaign=spring`);
  await page.getByRole('heading', { name: 'Write to us' }).waitFor();
  await page.getByLabel('E-mail *', { exact: true }).fill('Zoe.Martin@Example.fr');
  await page.getByLabel('Prénom', { exact: true }).fill('Zoé');
  await page.getByLabel('Nom', { exact: true }).fill('Martin');
  await page.getByLabel('Your message').fill(SCRIPT);
  await page.getByLabel(WORDING).check();
  const sent = page.waitForResponse((r) => r.url().endsWith(`/f/${form.key}`) && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Envoyer' }).click();
  assert.equal((await sent).status(), 200);
  await page.getByText('Thanks, we will answer within a day.').waitFor();
  assert.equal(await page.evaluate(() => window.pwned), undefined);

  const subs = await stack.api.must('GET', `/api/v1/forms/${form.id}/submissions`);
  const c = await stack.api.must('GET', `/api/v1/customers/${subs.items[0].customer_id}`);
  assert.equal(c.email, 'zoe.martin@example.fr');
  const consents = await stack.api.must('GET', `/api/v1/customers/${c.id}/consents`);
  assert.ok(consents.items[0].proof.startsWith(WORDING));
  assert.equal(subs.items[0].campaign, 'spring');
  assert.equal(subs.items[0].data.message, SCRIPT);
  assert.equal(subs.items[0].page_url, `${shopBase}/contact?campaign=spring`);

  // staff see the submission, the script shown as text
  const app = await stack.newPage();
  await signIn(app);
  await app.getByRole('link', { name: 'Web forms' }).click();
  await app.getByRole('button', { name: 'Shop contact' }).click();
  const values = app.locator('#form-submissions .submission-values').first();
  await values.waitFor();
  assert.match(await values.textContent(), /<img src=x onerror="window\.pwned=1">Hello/);
  assert.equal(await app.evaluate(() => window.pwned), undefined);
  await app.getByRole('link', { name: 'Zoé Martin' }).click();
  await app.getByRole('heading', { name: 'Zoé Martin' }).waitFor();
  assert.equal(await app.evaluate(() => window.pwned), undefined);
  assert.deepEqual(stack.takeErrors(), []);
});

test('the plain HTML embed code posts without any script and lands on a thank-you page', async () => {
  const page = await stack.newPage();
  await page.goto(`${shopBase}/plain`);
  await page.getByLabel('E-mail', { exact: true }).fill('paul.plain@example.fr');
  await page.getByLabel('Nom', { exact: true }).fill('Plain');
  await page.getByLabel(WORDING).check();
  await Promise.all([page.waitForURL(`${stack.base}/f/${form.key}`), page.getByRole('button', { name: 'Envoyer' }).click()]);
  await page.getByText('Thanks, we will answer within a day.').waitFor();
  const subs = await stack.api.must('GET', `/api/v1/forms/${form.id}/submissions`);
  assert.equal(subs.items.length, 2);
  const c = await stack.api.must('GET', `/api/v1/customers/${subs.items[0].customer_id}`);
  assert.equal(c.email, 'paul.plain@example.fr');
});
