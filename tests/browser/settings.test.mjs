// Settings: an admin adds a user and changes a role; changes the RFM grid's
// weights (the server's scores follow) and sees a bad ABC cut refused next to
// the form; adds a business-hours calendar and an SLA policy on it; sets the
// marketing-pressure cap. An analyst sees the scores but not the users.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signIn, signedInStack } from './harness.mjs';

let stack;
let page;
signedInStack((s, p) => { stack = s; page = p; });

test('users and roles: add a user, change a role', { timeout: 60000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
  const add = page.getByRole('form', { name: 'Add a user' });
  await add.getByLabel('E-mail').fill('claire@example.com');
  await add.getByLabel('Name').fill('Claire Dubois');
  await add.getByLabel('Role').selectOption('support');
  await add.getByLabel('Team').fill('Lyon');
  await add.getByLabel('Password (8 characters or more)').fill('pass-word-1');
  await add.getByRole('button', { name: 'Add a user' }).click();
  await page.getByRole('status').filter({ hasText: 'User claire@example.com added.' }).waitFor();
  const row = page.locator('tr[data-user="claire@example.com"]');
  await row.getByLabel('Role of claire@example.com').selectOption('manager');
  await row.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'User claire@example.com saved.' }).waitFor();
  const users = (await stack.api.must('GET', '/api/v1/users')).items;
  const claire = users.find((u) => u.email === 'claire@example.com');
  assert.equal(claire.role, 'manager');
  assert.equal(claire.team, 'Lyon');
  // record visibility: sales see their team's customers and their own
  const vis = page.getByRole('form', { name: 'Record visibility' });
  await vis.getByLabel('Sales').selectOption('team');
  await vis.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Visibility saved.' }).waitFor();
  assert.equal((await stack.api.must('GET', '/api/v1/visibility')).sales, 'team');
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'settings-users');
});

test('scores: new RFM weights are used at once; a bad ABC cut is refused', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'Scores (RFM, ABC, CLV)' }).click();
  await page.getByRole('heading', { name: 'RFM grid (seed scoring)' }).waitFor();
  await page.getByLabel('Weight of R').fill('1');
  await page.getByLabel('Weight of F').fill('1');
  await page.getByLabel('Weight of M').fill('1');
  await page.getByTestId('rfm-formula').filter({ hasText: 'Score = 1 × R + 1 × F + 1 × M' }).waitFor();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved: the scores use the new settings.' }).waitFor();
  const doc = await stack.api.must('GET', '/api/v1/analytics/settings');
  assert.deepEqual(doc.settings.rfm_grid.weights, [1, 1, 1]);
  assert.deepEqual(doc.customized.sort(), ['abc', 'clv', 'rfm_grid']);
  const rfm = await stack.api.must('GET', '/api/v1/analytics/rfm?limit=50');
  for (const c of rfm.customers) assert.ok(Math.abs(c.score - (c.r + c.f + c.m)) < 1e-9, `score ${c.score} = R + F + M`);
  await screenshot(page, 'settings-scores');
  // A above B: refused, said next to the form, nothing stored
  await page.getByLabel('A: top share').fill('0.5');
  await page.getByLabel('B: next share').fill('0.2');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: /abc/ }).waitFor();
  const errs = stack.takeErrors();
  assert.equal(errs.length, 1, errs.join('\n'));
  assert.match(errs[0], /status of 422 .*\/api\/v1\/analytics\/settings/);
  assert.equal((await stack.api.must('GET', '/api/v1/analytics/settings')).settings.abc.a, 0.05);
  await page.getByRole('button', { name: 'Back to defaults' }).click();
  await page.getByRole('status').filter({ hasText: 'Back to the defaults of the course.' }).waitFor();
  assert.deepEqual((await stack.api.must('GET', '/api/v1/analytics/settings')).customized, []);
});

test('SLA: a business-hours calendar and a policy on it', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'SLA policies' }).click();
  const cal = page.getByRole('form', { name: 'Add a calendar' });
  await cal.getByLabel('Name').fill('Paris office');
  await cal.getByLabel('Holidays (YYYY-MM-DD)').fill('2026-12-25');
  await cal.getByRole('button', { name: 'Add a calendar' }).click();
  await page.getByRole('status').filter({ hasText: 'Calendar Paris office added.' }).waitFor();
  const pol = page.getByRole('form', { name: 'Add a policy' });
  await pol.getByLabel('Name').fill('Urgent complaints');
  await pol.getByLabel('Ticket kind').selectOption('complaint');
  await pol.getByLabel('Priority').selectOption('urgent');
  await pol.getByLabel('First response (business minutes)').fill('30');
  await pol.getByLabel('Resolution (business minutes)').fill('480');
  await pol.getByLabel('Business hours').selectOption({ label: 'Paris office' });
  await pol.getByRole('button', { name: 'Add a policy' }).click();
  await page.getByRole('cell', { name: 'Urgent complaints' }).waitFor();
  await page.getByRole('cell', { name: '8 h' }).waitFor();
  const cals = (await stack.api.must('GET', '/api/v1/sla/calendars')).items;
  const paris = cals.find((c) => c.name === 'Paris office');
  assert.deepEqual(paris.hours.mon, ['09:00', '18:00']);
  assert.equal(paris.hours.sat, undefined);
  assert.deepEqual(paris.holidays, ['2026-12-25']);
  const p = (await stack.api.must('GET', '/api/v1/sla/policies')).items.find((x) => x.name === 'Urgent complaints');
  assert.deepEqual([p.kind, p.priority, p.first_response_minutes, p.resolution_minutes, p.calendar_id], ['complaint', 'urgent', 30, 480, paris.id]);
  assert.deepEqual(await axeViolations(page), []);
});

test('channels: the marketing-pressure cap', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'Channels and pressure' }).click();
  await page.getByLabel('Messages at most').fill('3');
  await page.getByLabel('per (days)').fill('10');
  await page.getByRole('form', { name: 'Channels and pressure' }).getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Channel settings saved.' }).waitFor();
  const s = await stack.api.must('GET', '/api/v1/campaign-settings');
  assert.deepEqual([s.pressure_max, s.pressure_days], [3, 10]);
});

test('an analyst reads the scores settings but not the users; French labels', { timeout: 60000 }, async () => {
  await stack.api.must('POST', '/api/v1/users', { email: 'ana@example.com', name: 'Ana', role: 'analyst', password: 'pass-word-1' });
  // one browser context: signing out the admin makes room for the analyst
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('E-mail').waitFor();
  await signIn(page, { email: 'ana@example.com', password: 'pass-word-1' });
  await page.goto('/#/settings/users');
  await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
  await page.goto('/#/settings/scores');
  await page.getByRole('heading', { name: 'RFM grid (seed scoring)' }).waitFor();
  // the refused users list is logged by the browser: expected
  const errs = stack.takeErrors();
  assert.ok(errs.every((e) => /status of 403/.test(e)), errs.join('\n'));
  await page.evaluate(() => localStorage.setItem('relatio.lang', 'fr'));
  await page.reload();
  await page.getByRole('heading', { name: 'Grille RFM (notation du cours)' }).waitFor();
  await page.evaluate(() => localStorage.setItem('relatio.lang', 'en'));
});
