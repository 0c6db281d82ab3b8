// The sales pipeline in a real browser: drag a deal to another stage, move
// one with the keyboard ("Move to" list), close one as lost (the reason is
// required), the deal page with its history, the forecast, and tasks.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signIn, startStack } from './harness.mjs';

let stack;
let page;
let pipeline;
const deals = {};
const stage = (name) => pipeline.stages.find((s) => s.name === name).id;
const dealNow = (id) => stack.api.must('GET', `/api/v1/deals/${id}`);

before(async () => {
  stack = await startStack();
  const api = stack.api;
  pipeline = (await api.must('GET', '/api/v1/pipelines')).items.find((p) => p.is_default);
  const [helene, , zoe, , boulangerie] = stack.customers;
  deals.drag = await api.must('POST', '/api/v1/deals', { customer_id: boulangerie.id, title: 'Fours à pain', amount_minor: 1250000, expected_close: '2030-01-15' });
  deals.keys = await api.must('POST', '/api/v1/deals', { customer_id: helene.id, title: 'Coffret mariage', amount_minor: 45000, expected_close: '2030-02-10' });
  deals.lost = await api.must('POST', '/api/v1/deals', { customer_id: zoe.id, title: 'Abonnement soin', amount_minor: 9900 });
  await api.must('POST', '/api/v1/tasks', { kind: 'call', title: 'Rappeler la boulangerie', deal_id: deals.drag.id, due_at: '2030-01-05T09:00:00Z' });
  page = await stack.newPage();
  await signIn(page);
});
after(async () => { await stack?.stop(); });
afterEach(() => {
  const errs = stack?.takeErrors() ?? [];
  assert.deepEqual(errs, [], 'no console errors');
});

const column = (name) => page.locator(`section[data-stage-id="${stage(name)}"]`);
const card = (d) => page.locator(`li[data-deal-id="${d.id}"]`);

test('drag a deal to another stage', { timeout: 60000 }, async () => {
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Pipeline' }).click();
  await page.getByRole('heading', { level: 1, name: 'Pipeline' }).waitFor();
  await column('Lead').locator(`li[data-deal-id="${deals.drag.id}"]`).waitFor();
  await card(deals.drag).dragTo(column('Proposal'));
  await column('Proposal').locator(`li[data-deal-id="${deals.drag.id}"]`).waitFor();
  await page.getByRole('status').filter({ hasText: '“Fours à pain” moved to Proposal.' }).waitFor({ state: 'attached' });
  const d = await dealNow(deals.drag.id);
  assert.equal(d.stage, 'Proposal');
  assert.equal(d.probability, 50);
  assert.deepEqual(d.history.map((h) => h.to_stage), ['Lead', 'Proposal']);
  // the column totals follow
  await column('Proposal').getByText('Deals: 1 · 50 %').waitFor();
  await screenshot(page, 'pipeline');
});

test('move a deal with the keyboard; closing as lost asks for a reason', { timeout: 60000 }, async () => {
  const move = page.getByLabel('Move “Coffret mariage” to stage');
  await move.focus();
  await move.selectOption({ label: 'Negotiation' });
  await column('Negotiation').locator(`li[data-deal-id="${deals.keys.id}"]`).waitFor();
  assert.equal((await dealNow(deals.keys.id)).stage, 'Negotiation');

  await page.getByLabel('Move “Abonnement soin” to stage').selectOption({ label: 'Lost' });
  const dialog = page.getByRole('dialog', { name: 'Mark “Abonnement soin” as lost' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Move to Lost' }).click();
  await dialog.getByText('Say why the deal was lost.').waitFor();
  assert.equal((await dealNow(deals.lost.id)).status, 'open', 'nothing moved yet');
  await dialog.getByLabel('Reason').fill('went to a competitor');
  // by keyboard: from the reason to the confirm button
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await column('Lost').locator(`li[data-deal-id="${deals.lost.id}"]`).waitFor();
  const d = await dealNow(deals.lost.id);
  assert.equal(d.status, 'lost');
  assert.equal(d.close_reason, 'went to a competitor');
  // a closed deal offers no "Move to" any more
  assert.equal(await page.getByLabel('Move “Abonnement soin” to stage').count(), 0);
  assert.deepEqual(await axeViolations(page), []);
});

test('the deal page shows the history and its tasks; the forecast and tasks pages', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'Fours à pain' }).click();
  await page.getByRole('heading', { level: 1, name: 'Fours à pain' }).waitFor();
  const history = page.getByRole('region', { name: 'Stage history' });
  await history.getByRole('cell', { name: 'Proposal' }).waitFor();
  await page.getByRole('region', { name: 'Tasks' }).getByText(/Rappeler la boulangerie/).waitFor();

  await page.goto('/#/pipeline/forecast?period=2030-Q1');
  const table = page.getByRole('table', { name: 'Forecast by month' });
  await table.waitFor();
  // January: Fours à pain, 12 500 € at 50 % → 6 250 € weighted
  await table.getByRole('row', { name: /Jan 2030/ }).getByRole('cell', { name: '€6,250.00' }).first().waitFor();
  // the same for my own deals (the admin owns them)
  await page.getByLabel('Only my deals').check();
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/owner=me/);
  await table.getByRole('row', { name: /Jan 2030/ }).getByRole('cell', { name: '€6,250.00' }).first().waitFor();
  assert.deepEqual(await axeViolations(page), []);

  // the sales report: one deal lost, none won in the period
  await page.getByRole('link', { name: 'Report' }).click();
  await page.getByRole('heading', { level: 1, name: 'Report' }).waitFor();
  await page.locator('.stat', { hasText: 'Win rate' }).getByText('0.0 %').waitFor();
  await page.getByRole('region', { name: 'Pipeline and results by owner' }).getByRole('rowheader', { name: 'admin@example.com' }).waitFor();
  assert.deepEqual(await axeViolations(page), []);

  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Tasks' }).click();
  await page.getByRole('heading', { level: 1, name: 'Tasks' }).waitFor();
  const row = page.getByRole('row', { name: /Rappeler la boulangerie/ });
  await row.waitFor();
  await row.getByRole('button', { name: 'Mark “Rappeler la boulangerie” done' }).click();
  await page.getByRole('heading', { name: 'No task here.' }).waitFor();
  const tasks = await stack.api.must('GET', `/api/v1/tasks?deal_id=${deals.drag.id}`);
  assert.equal(tasks.items[0].status, 'done');
  await page.getByRole('button', { name: 'Get my calendar link' }).click();
  const url = await page.getByLabel('Calendar address (iCalendar)').inputValue();
  assert.match(url, /\/api\/v1\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
  const ics = await (await fetch(url)).text();
  assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
  assert.match(ics, /SUMMARY:Call: Rappeler la boulangerie/);
  assert.deepEqual(await axeViolations(page), []);
});

test('leads: rescore, qualify one, convert another into a deal', { timeout: 60000 }, async () => {
  await page.goto('/#/pipeline/leads');
  await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor();
  await page.getByRole('button', { name: 'Rescore all leads' }).click();
  const list = page.getByRole('table', { name: 'Leads, best score first' });
  await list.getByRole('rowheader', { name: 'John Smith' }).waitFor();

  const helene = stack.customers[0];
  await list.getByLabel('Status of Hélène Dupont').selectOption({ label: 'Qualified' });
  await list.getByRole('row', { name: /Hélène Dupont/ }).getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Lead Hélène Dupont saved.' }).waitFor({ state: 'attached' });
  assert.equal((await stack.api.must('GET', `/api/v1/customers/${helene.id}/lead`)).status, 'qualified');

  await list.getByRole('button', { name: 'Convert John Smith into a deal' }).click();
  const form = page.getByRole('region', { name: 'Convert John Smith into a deal' });
  await form.getByRole('button', { name: 'Convert' }).click();
  assert.equal(await form.locator('#cv-title-err').textContent(), 'Enter a title for the deal.');
  await form.getByLabel('Title').fill('Premier contrat');
  await form.getByLabel('Amount').fill('1200');
  await form.getByRole('button', { name: 'Convert' }).click();
  await list.getByRole('row', { name: /John Smith/ }).getByRole('link', { name: 'Converted' }).waitFor();
  const john = stack.customers[3];
  const lead = await stack.api.must('GET', `/api/v1/customers/${john.id}/lead`);
  assert.equal(lead.status, 'converted');
  const deal = await dealNow(lead.deal_id);
  assert.equal(deal.title, 'Premier contrat');
  assert.equal(deal.amount_minor, 120000);
  assert.deepEqual(await axeViolations(page), []);
});
