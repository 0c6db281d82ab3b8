// Accessibility: axe-core's WCAG 2.1 A/AA rules on the main screens, in
// English and French; no serious or critical violation.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, signIn, startStack } from './harness.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.stop(); });
afterEach(() => {
  const errs = stack?.takeErrors() ?? [];
  assert.deepEqual(errs, [], 'no console errors');
});

test('the main screens pass axe (WCAG 2.1 AA) in both languages', { timeout: 120000 }, async () => {
  const page = await stack.newPage();
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in to relatio' }).waitFor();
  // with an error shown next to the field
  await page.getByLabel('E-mail').fill('admin@example.com');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#login-password-error').waitFor();
  assert.deepEqual(await axeViolations(page), [], 'sign-in page');

  await signIn(page);
  await page.locator('.chart, .empty').first().waitFor();
  assert.deepEqual(await axeViolations(page), [], 'dashboard');

  await page.goto('/#/customers');
  await page.locator('table tbody tr').first().waitFor();
  assert.deepEqual(await axeViolations(page), [], 'customers');

  await page.locator('table tbody tr .row-link').first().click();
  await page.getByRole('region', { name: 'Timeline' }).waitFor();
  await page.getByRole('button', { name: /Log a call/ }).click();
  await page.getByRole('region', { name: 'Log an interaction' }).waitFor();
  assert.deepEqual(await axeViolations(page), [], '360° view with the interaction form');

  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('region', { name: 'Historique' }).waitFor();
  assert.deepEqual(await axeViolations(page), [], '360° view in French');
  await page.goto('/#/settings/scores');
  await page.getByRole('heading', { name: 'Grille RFM (notation du cours)' }).waitFor();
  assert.deepEqual(await axeViolations(page), [], 'settings in French');
  await page.getByLabel('Langue').selectOption('en');
});

test('keyboard only: sign out is reachable with Tab from the top of the page', { timeout: 60000 }, async () => {
  const page = await stack.newPage();
  await signIn(page);
  await page.locator('body').focus();
  const seen = [];
  for (let n = 0; n < 12; n++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement;
      return a ? `${a.tagName.toLowerCase()}:${(a.getAttribute('aria-label') || a.textContent || '').trim()}` : '';
    });
    seen.push(el);
    if (el === 'button:Sign out') break;
  }
  assert.equal(seen[0], 'a:Skip to content', `first stop is the skip link (${seen.join(' | ')})`);
  assert.ok(seen.includes('button:Sign out'), `sign out reached (${seen.join(' | ')})`);
});
