// The service desk's text-mining panel in the browser: complaints created
// through the API, the analysis refreshed from the panel (a background job
// with its progress), then the top terms, the emerging-topic bars and the
// low-satisfaction words; the source and period selectors; axe on the panel.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signIn, startStack } from './harness.mjs';

let stack;
let page;
before(async () => {
  stack = await startStack();
  const old = new Date(Date.now() - 40 * 86400e3).toISOString().slice(0, 19) + 'Z';
  for (const c of stack.customers.slice(0, 3)) {
    await stack.api.must('POST', '/api/v1/interactions', { customer_id: c.id, channel: 'phone', direction: 'inbound', kind: 'complaint', at: old, subject: 'Remboursement', body: 'Toujours pas de remboursement.' }, [201]);
  }
  const bodies = ['Livraison en retard, colis abîmé.', 'Livraison en retard de dix jours.', 'Encore une livraison en retard !', 'Le colis est arrivé abîmé, livraison en retard.'];
  for (const [i, body] of bodies.entries()) {
    const c = stack.customers[i % stack.customers.length];
    await stack.api.must('POST', '/api/v1/tickets', { customer_id: c.id, kind: 'complaint', subject: 'Livraison', body }, [201]);
  }
  for (const [i, c] of stack.customers.entries()) {
    const low = i < 3;
    await stack.api.must('POST', '/api/v1/surveys/1/responses', { customer_id: c.id, answers: { score: low ? 1 : 5, comment: low ? 'Livraison en retard, colis abîmé' : 'Conseillère aimable' } }, [201]);
  }
  page = await stack.newPage();
  await signIn(page);
});
after(async () => { await stack?.stop(); });
afterEach(() => { assert.deepEqual(stack?.takeErrors() ?? [], [], 'no console errors'); });

test('the panel refreshes the analysis and shows terms, emerging topics and low-satisfaction words', { timeout: 180000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Service desk' }).click();
  const panel = page.getByRole('region', { name: 'What customers write about' });
  await panel.waitFor();
  // nothing analysed yet
  await panel.getByText('No text analysed for this period.').waitFor();
  await panel.getByRole('button', { name: 'Refresh the analysis' }).click();
  await panel.getByRole('heading', { name: /Top terms \(4 texts\)/ }).waitFor();
  const top = panel.getByRole('list').first();
  assert.match(await top.innerText(), /^retard\s+4/m);
  assert.match(await top.innerText(), /livraison\s+4/);
  // emerging topics: a bar chart with its figures in a table
  await panel.getByRole('img', { name: /Emerging topics/ }).waitFor();
  const rows = await panel.getByRole('table', { name: /Emerging topics/ }).getByRole('row').allInnerTexts();
  assert.ok(rows.some((r) => /^livraison/.test(r)), rows.join('|'));
  // low satisfaction comes from the survey comments (all texts)
  const low = panel.getByRole('table').filter({ hasText: 'Mean score' });
  assert.match(await low.innerText(), /retard\s+3\s+20 %/);
  assert.deepEqual(await axeViolations(page, { include: '#textmining' }), [], 'panel passes axe');
  await screenshot(page, 'service-textmining');
});

test('the source and period selectors reload the panel', { timeout: 120000 }, async () => {
  const panel = page.getByRole('region', { name: 'What customers write about' });
  await panel.getByRole('combobox', { name: 'Texts' }).selectOption('survey');
  await panel.getByRole('heading', { name: /Top terms \(5 texts\)/ }).waitFor();
  await panel.getByRole('combobox', { name: 'Period' }).selectOption('90d');
  await panel.getByRole('combobox', { name: 'Texts' }).selectOption('complaint');
  await panel.getByRole('heading', { name: /Top terms \(7 texts\)/ }).waitFor();
  assert.match(await panel.getByRole('list').first().innerText(), /rembours|remboursement/);
});
