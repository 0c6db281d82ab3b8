// Loyalty: the programme page (add a reward, a tier, change a rate), then a
// customer's 360° panel: enrol, see the card and the balance, earn on an
// order, redeem a reward; a refused redemption is explained; French labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signedInStack } from './harness.mjs';

let stack;
let page;
signedInStack((s, p) => { stack = s; page = p; });

test('the programme page: rules, tiers, rewards, expiry', { timeout: 60000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Loyalty' }).click();
  await page.getByRole('heading', { level: 1, name: 'Loyalty programme and surveys' }).waitFor();
  const rules = page.getByRole('region', { name: 'Earning rules' });
  await rules.getByRole('rowheader', { name: 'Welcome bonus' }).waitFor();
  // the welcome bonus becomes 150
  const welcome = rules.getByLabel('Welcome bonus: points');
  await welcome.fill('150');
  await welcome.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  // a reward, with a name and a cost
  const rewards = page.getByRole('region', { name: 'Rewards catalogue' });
  const form = rewards.getByRole('form', { name: 'Add a reward' });
  await form.getByLabel('Reward').fill('Gift box');
  await form.getByLabel('Cost (points)').fill('120');
  await form.getByRole('button', { name: 'Add a reward' }).click();
  await rewards.getByRole('rowheader', { name: 'Gift box' }).waitFor();
  // a bad tier is refused with the server's reason
  const tiers = page.getByRole('region', { name: 'Tiers' });
  const tf = tiers.getByRole('form', { name: 'Add a tier' });
  await tf.getByLabel('Tier', { exact: true }).fill('Copper');
  await tf.getByLabel('Threshold (qualifying points)').fill('1000');
  await tf.getByRole('button', { name: 'Add a tier' }).click();
  await page.getByRole('alert').filter({ hasText: /threshold/ }).waitFor();
  // the browser logs the refused request: that one is expected
  const errs = stack.takeErrors();
  assert.equal(errs.length, 1, errs.join('\n'));
  assert.match(errs[0], /status of 409 .*\/api\/v1\/loyalty\/tiers/);
  assert.equal(await tiers.getByRole('rowheader', { name: 'Copper' }).count(), 0);
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'loyalty');
  const prog = await stack.api.must('GET', '/api/v1/loyalty/programme');
  assert.equal(prog.rules.find((r) => r.kind === 'welcome').points, 150);
  assert.ok(prog.rewards.some((r) => r.name === 'Gift box' && r.cost_points === 120));
});

test('the 360° panel: enrol, earn on an order, redeem', { timeout: 60000 }, async () => {
  const c = stack.customers[0];
  await page.goto(`/#/customers/${c.id}`);
  const panel = page.getByRole('region', { name: 'Loyalty' });
  await panel.getByText('Not a member of the loyalty programme.').waitFor();
  await panel.getByRole('button', { name: 'Enrol in the programme' }).click();
  await panel.getByText('Enrolled: welcome bonus credited.').waitFor();
  assert.equal(await panel.getByTestId('loy-balance').textContent(), '150');
  const card = (await stack.api.must('GET', `/api/v1/loyalty/members/${c.id}`)).card_number;
  await panel.getByText(card.replace(/(\d{4})(?=\d)/g, '$1 ')).waitFor();
  // an order of 45.90 € earns 45 points
  await stack.api.must('POST', '/api/v1/orders', { customer_id: c.id, total_minor: 4590 });
  await page.reload();
  await panel.getByTestId('loy-balance').filter({ hasText: '195' }).waitFor();
  await panel.getByRole('list', { name: 'Latest points movements' }).getByText(/\+45 purchase/).waitFor();
  // redeem the gift box: 195 - 120
  await panel.getByLabel('Reward').selectOption({ label: 'Gift box (120 points)' });
  await panel.getByRole('button', { name: 'Redeem' }).click();
  await panel.getByText('Reward redeemed.').waitFor();
  await panel.getByTestId('loy-balance').filter({ hasText: '75' }).waitFor();
  // the gift box now costs more than the balance: offered but disabled
  assert.equal(await panel.getByRole('option', { name: 'Gift box (120 points)' }).isDisabled(), true);
  // the ledger shows on the timeline, refreshed by the redemption
  await page.getByRole('region', { name: 'Timeline' }).getByText(/redeem -120 points/).waitFor();
  assert.deepEqual(await axeViolations(page, { include: '#loyalty' }), []);
  await screenshot(page, 'loyalty-360');
});

test('in French', { timeout: 30000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Loyalty' }).click();
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('heading', { level: 1, name: 'Programme de fidélité et enquêtes' }).waitFor();
  await page.getByRole('region', { name: 'Règles de gain' }).getByRole('rowheader', { name: 'Bonus de bienvenue' }).waitFor();
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('heading', { level: 1, name: 'Loyalty programme and surveys' }).waitFor();
});
