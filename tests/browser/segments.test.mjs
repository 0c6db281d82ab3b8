// Segments in a real browser: the builder counts as you type, a typing
// error shows its byte position, a segment is saved and its members shown,
// a targeting group's definition is edited; axe on the page.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signIn, startStack } from './harness.mjs';

let stack;
let page;
before(async () => {
  stack = await startStack();
  const [helene, francois, zoe] = stack.customers;
  await stack.api.must('PATCH', `/api/v1/customers/${helene.id}`, { tags: ['vip'] });
  await stack.api.must('PATCH', `/api/v1/customers/${zoe.id}`, { tags: ['vip', 'expert'] });
  await stack.api.must('POST', '/api/v1/orders', { customer_id: francois.id, total_minor: 60000, currency: 'EUR' }, [201]);
  page = await stack.newPage();
  await signIn(page);
});
after(async () => { await stack?.stop(); });
// A draft with a typo answers 422, which the builder shows; the browser logs
// that failed load as a console error, the only one expected here.
const expected422 = (e) => e.includes('status of 422') && e.includes('/api/v1/segments/count');
afterEach(() => {
  const errs = (stack?.takeErrors() ?? []).filter((e) => !expected422(e));
  assert.deepEqual(errs, [], 'no console errors');
});

const live = () => page.locator('#seg-live');

test('build a segment and see its count as you type', { timeout: 60000 }, async () => {
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Segments' }).click();
  await page.getByRole('heading', { level: 1, name: 'Segments' }).waitFor();
  const expr = page.getByLabel('Expression');
  await expr.fill('tags contains vip');
  await live().filter({ hasText: '2 customers match' }).waitFor();
  await expr.fill('tags contains vip AND tags contains expert');
  await live().filter({ hasText: '1 customer matches' }).waitFor();
  await expr.fill('kind = person');
  await live().filter({ hasText: '4 customers match' }).waitFor();
  // a mistake: the message names the byte
  await expr.fill('kind = persn');
  await live().filter({ hasText: "at byte 7: 'kind' has no value 'persn'" }).waitFor();
  assert.equal(await expr.getAttribute('aria-invalid'), 'true');
  assert.ok(await page.getByRole('button', { name: 'Save segment' }).isDisabled());
  await expr.fill('revenue >= 600');
  await live().filter({ hasText: '1 customer matches' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Big spenders');
  await page.getByRole('button', { name: 'Save segment' }).click();
  await page.getByRole('status').filter({ hasText: 'Segment “Big spenders” saved with 1 customers.' }).waitFor({ state: 'attached' });
  const row = page.getByRole('table', { name: 'Saved segments' }).getByRole('row').filter({ hasText: 'Big spenders' });
  await row.waitFor();
  await row.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('table', { name: 'Customers of “Big spenders”' }).getByRole('link', { name: 'François Maroy' }).waitFor();
  const saved = (await stack.api.must('GET', '/api/v1/segments')).items.find((s) => s.name === 'Big spenders');
  assert.equal(saved.expr, 'revenue >= 600');
  assert.equal(saved.member_count, 1);
  assert.deepEqual(await axeViolations(page), [], 'segments page');
  await screenshot(page, 'segments');
});

test('edit a targeting group\'s definition', { timeout: 60000 }, async () => {
  const groups = page.getByRole('table', { name: 'Targeting groups' });
  await groups.getByRole('row').filter({ hasText: 'Lead customers' }).waitFor();
  await groups.getByRole('button', { name: 'Edit Lead customers' }).click();
  await page.getByRole('heading', { name: 'Editing “Lead customers”' }).waitFor();
  const expr = page.getByLabel('Expression');
  assert.match(await expr.inputValue(), /tags in \[expert/);
  await expr.fill('tags in [expert, vip]');
  await live().filter({ hasText: '2 customers match' }).waitFor();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('status').filter({ hasText: 'Segment “Lead customers” updated.' }).waitFor({ state: 'attached' });
  await groups.getByRole('row').filter({ hasText: 'tags in [expert, vip]' }).waitFor();
  const g = (await stack.api.must('GET', '/api/v1/targeting/groups')).groups.find((x) => x.key === 'lead');
  assert.equal(g.expr, 'tags in [expert, vip]');
  assert.equal(g.count, 2);
});
