// Campaigns in a real browser: a template mistake shows its line and column,
// a draft is created, the audience preview names why customers are left out,
// the launch shows the results; axe on the page.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signIn, startStack } from './harness.mjs';

let stack;
let page;
before(async () => {
  stack = await startStack();
  const [helene, francois, zoe] = stack.customers;
  for (const c of [helene, francois]) {
    await stack.api.must('POST', `/api/v1/customers/${c.id}/consents`, { channel: 'email', purpose: 'marketing', granted: true }, [201]);
  }
  // Zoé said yes, then no
  await stack.api.must('POST', `/api/v1/customers/${zoe.id}/consents`, { channel: 'email', purpose: 'marketing', granted: true }, [201]);
  await stack.api.must('POST', `/api/v1/customers/${zoe.id}/consents`, { channel: 'email', purpose: 'marketing', granted: false }, [201]);
  await stack.api.must('PUT', '/api/v1/campaign-settings', { quiet_start: null, quiet_end: null }, [200]);
  page = await stack.newPage();
  await signIn(page);
});
after(async () => { await stack?.stop(); });
// the refused template answers 422, which the page shows; the browser logs
// that failed request as a console error, the only one expected here
const expected422 = (e) => e.includes('status of 422') && e.includes('/api/v1/campaigns');
afterEach(() => {
  const errs = (stack?.takeErrors() ?? []).filter((e) => !expected422(e));
  assert.deepEqual(errs, [], 'no console errors');
});

test('campaign builder: template errors, audience preview with reasons, launch and results', { timeout: 90000 }, async () => {
  const [helene, francois, zoe, john] = stack.customers;
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Marketing', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Campaigns' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Spa weekend');
  await page.getByLabel('Offer promoted').fill('Spa weekend');
  await page.getByLabel('Customer ids').fill(`${helene.id}, ${francois.id}, ${zoe.id}, ${john.id}`);
  await page.getByLabel('Control group (%)').fill('0');
  await page.getByLabel('Message (French)').fill('Bonjour {{ frist_name }}');
  await page.getByRole('button', { name: 'Create draft' }).click();
  const err = page.locator('#camp-form-error');
  await err.filter({ hasText: "line 1, column 12: unknown merge field 'frist_name'" }).waitFor();
  await page.getByLabel('Message (French)').fill('Bonjour {{ first_name | "client" }} !');
  await page.getByRole('button', { name: 'Create draft' }).click();
  await page.getByRole('status').filter({ hasText: 'Draft “Spa weekend” created.' }).waitFor({ state: 'attached' });
  const card = page.locator('#camp-open');
  await card.getByRole('heading', { name: 'Spa weekend' }).waitFor();

  await card.getByRole('button', { name: 'Preview audience' }).click();
  const prev = page.locator('#camp-preview');
  await prev.waitFor();
  assert.match(await prev.textContent(), /Audience4Messages to send2Control group0Left out2/);
  const reasons = card.getByRole('table', { name: 'Why customers are left out' }).first();
  await reasons.getByRole('row', { name: /Never consented 1/ }).waitFor();
  await reasons.getByRole('row', { name: /Consent withdrawn 1/ }).waitFor();
  assert.match(await card.locator('figure.sample').textContent(), /Bonjour Hélène !/);

  await card.getByRole('button', { name: 'Launch now' }).click();
  await page.getByRole('status').filter({ hasText: 'Launched: 2 messages queued.' }).waitFor({ state: 'attached' });
  const res = page.locator('#camp-results');
  await res.waitFor();
  assert.match(await res.textContent(), /Delivered0Opened0Clicked0/);
  const row = page.getByRole('table', { name: 'All campaigns' }).getByRole('row').filter({ hasText: 'Spa weekend' });
  assert.match(await row.textContent(), /sending/);
  const campaign = (await stack.api.must('GET', '/api/v1/campaigns')).items[0];
  assert.equal(campaign.status, 'sending');

  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'campaigns');
});
