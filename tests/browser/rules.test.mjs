// Rules in a real browser: the templates listed with their triggers, one
// switched on and off in place, a definition edited (a bad one shows the
// server's JSON path), the firing log after a real event; axe on the page.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signIn, startStack } from './harness.mjs';

let stack;
let page;
before(async () => {
  stack = await startStack();
  page = await stack.newPage();
  await signIn(page);
});
after(async () => { await stack?.stop(); });
// the refused definition answers 422, which the page shows; the browser logs
// that failed request as a console error, the only one expected here
const expected422 = (e) => e.includes('status of 422') && e.includes('/api/v1/rules/');
afterEach(() => {
  const errs = (stack?.takeErrors() ?? []).filter((e) => !expected422(e));
  assert.deepEqual(errs, [], 'no console errors');
});

test('rules: templates, on/off, definition errors by path, firing log', { timeout: 90000 }, async () => {
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Rules' }).click();
  await page.getByRole('heading', { level: 1, name: 'Rules and journeys' }).waitFor();
  const table = page.getByRole('table', { name: 'Rules' });
  const row = table.getByRole('row').filter({ hasText: 'Journey: bad survey score' });
  await row.waitFor();
  assert.match(await row.textContent(), /survey\.answered/);
  assert.match(await row.textContent(), /template/);
  assert.equal(await table.getByRole('row').count(), 10, 'a header and the nine templates');

  // switch it on
  const toggle = row.getByRole('button', { name: 'Switch “Journey: bad survey score → at risk → adviser call-back” on or off' });
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  await page.getByRole('status').filter({ hasText: 'is on.' }).waitFor({ state: 'attached' });
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  const rule = (await stack.api.must('GET', '/api/v1/rules')).items.find((r) => r.template === 'seed004.journey_bad_score');
  assert.equal(rule.enabled, true);

  // a bad edit: the server names the JSON path, nothing changes
  await row.getByRole('button', { name: /^Open/ }).click();
  const def = page.getByLabel('Definition (JSON)');
  await def.waitFor();
  const good = await def.inputValue();
  await def.fill(good.replace('"task"', '"teleport"'));
  await page.getByRole('button', { name: 'Save definition' }).click();
  await page.locator('#rule-def-error').filter({ hasText: "definition.steps[1].action: unknown action 'teleport'" }).waitFor();
  assert.equal(await def.getAttribute('aria-invalid'), 'true');
  assert.equal((await stack.api.must('GET', `/api/v1/rules/${rule.id}`)).version, rule.version);
  await def.fill(good.replace('"due_in_hours": 24', '"due_in_hours": 4'));
  await page.getByRole('button', { name: 'Save definition' }).click();
  await page.getByRole('status').filter({ hasText: 'saved (version 3)' }).waitFor({ state: 'attached' });
  assert.equal((await stack.api.must('GET', `/api/v1/rules/${rule.id}`)).definition.steps[1].due_in_hours, 4);

  // a real event: a bad CSAT answer, then the engine runs
  const [helene] = stack.customers;
  const s = await stack.api.must('POST', '/api/v1/surveys', { name: 'Satisfaction', kind: 'csat' }, [201]);
  await stack.api.must('POST', `/api/v1/surveys/${s.id}/responses`, { customer_id: helene.id, answers: { score: 1 } }, [201]);
  await stack.api.must('POST', '/api/v1/rules/run', undefined, [200]);
  await row.getByRole('button', { name: /^Open/ }).click();
  const log = page.getByRole('table', { name: 'Firing log' });
  await log.getByRole('row').filter({ hasText: 'flagged at_risk' }).waitFor();
  await log.getByRole('row').filter({ hasText: /task \d+ for team advisers/ }).waitFor();
  assert.deepEqual(await axeViolations(page), [], 'rules page');
  await screenshot(page, 'rules');

  // and off again
  await toggle.click();
  await page.getByRole('status').filter({ hasText: 'is off.' }).waitFor({ state: 'attached' });
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
});
