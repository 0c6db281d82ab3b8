// Surveys on the loyalty page: design an NPS survey and a custom
// questionnaire in the editor, see answers arrive as NPS and a score
// distribution, close a survey.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signedInStack } from './harness.mjs';

let stack;
let page;
signedInStack((s, p) => { stack = s; page = p; });

test('an NPS survey: designed in the editor, answered, scored, closed', { timeout: 60000 }, async () => {
  await page.goto('/#/loyalty');
  const card = page.getByRole('region', { name: 'Satisfaction surveys' });
  const form = card.getByRole('form', { name: 'New survey' });
  await form.getByLabel('Name').fill('Store visit NPS');
  await form.getByLabel('Kind').selectOption('nps');
  await form.getByLabel('Question asked').fill('Would you recommend our Lyon store?');
  await form.getByRole('button', { name: 'Create the survey' }).click();
  await page.getByRole('status').filter({ hasText: 'Survey Store visit NPS created.' }).waitFor();
  const s = (await stack.api.must('GET', '/api/v1/surveys')).items.find((x) => x.name === 'Store visit NPS');
  assert.equal(s.kind, 'nps');
  // three promoters, one passive, one detractor: NPS = (3 - 1) / 5 = 40
  const scores = [10, 9, 9, 7, 3];
  for (let i = 0; i < scores.length; i++) {
    await stack.api.must('POST', `/api/v1/surveys/${s.id}/responses`, { customer_id: stack.customers[i % stack.customers.length].id, answers: { score: scores[i] } }, [201]);
  }
  await page.reload();
  const row = card.getByRole('row').filter({ hasText: 'Store visit NPS' });
  await row.getByRole('cell', { name: 'NPS 40' }).waitFor();
  await row.getByRole('button', { name: 'Results of Store visit NPS' }).click();
  const fig = card.getByRole('figure', { name: 'Scores given to Store visit NPS' });
  await fig.getByText('Promoters (9–10): 3 · passives (7–8): 1 · detractors (0–6): 1').waitFor();
  assert.equal(await fig.getByText('score 9: 2 answers').count(), 1);
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'surveys');
  await row.getByRole('button', { name: 'Close Store visit NPS' }).click();
  await page.getByRole('status').filter({ hasText: 'Survey Store visit NPS closed' }).waitFor();
  assert.equal((await stack.api.must('GET', `/api/v1/surveys/${s.id}`)).status, 'closed');
});

test('a custom questionnaire of a score, a choice and a yes/no question', { timeout: 60000 }, async () => {
  await page.goto('/#/loyalty');
  const form = page.getByRole('form', { name: 'New survey' });
  await form.getByLabel('Name').fill('After delivery');
  await form.getByLabel('Kind').selectOption('custom');
  await form.getByRole('button', { name: 'Add a question' }).click();
  const q1 = form.getByRole('group', { name: 'Question 1' });
  await q1.getByLabel('Question').fill('Note globale de la livraison');
  await q1.getByLabel('Highest score').fill('10');
  await q1.getByLabel('Records on the customer').selectOption('satisfaction');
  await q1.getByLabel('Required').check();
  await form.getByRole('button', { name: 'Add a question' }).click();
  const q2 = form.getByRole('group', { name: 'Question 2' });
  await q2.getByLabel('Question').fill('Delivered by');
  await q2.getByLabel('Answer').selectOption('choice');
  await q2.getByLabel('Choices').fill('courier, post office, pick-up point');
  await form.getByRole('button', { name: 'Add a question' }).click();
  const q3 = form.getByRole('group', { name: 'Question 3' });
  await q3.getByLabel('Question').fill('Would you order again?');
  await q3.getByLabel('Answer').selectOption('yesno');
  await form.getByRole('button', { name: 'Create the survey' }).click();
  await page.getByRole('status').filter({ hasText: 'Survey After delivery created.' }).waitFor();
  const list = (await stack.api.must('GET', '/api/v1/surveys')).items;
  const s = await stack.api.must('GET', `/api/v1/surveys/${list.find((x) => x.name === 'After delivery').id}`);
  const qs = s.questions;
  assert.deepEqual(qs.map((q) => [q.key, q.type]), [['note_globale_de_la_livraison', 'scale'], ['delivered_by', 'choice'], ['would_you_order_again', 'yesno']]);
  assert.equal(qs[0].scale_max, 10);
  assert.equal(qs[0].attitude, 'satisfaction');
  assert.equal(qs[0].required, true);
  assert.deepEqual(qs[1].choices, ['courier', 'post office', 'pick-up point']);
});
