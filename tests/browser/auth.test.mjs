// Sign in and out through the web app.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, screenshot, signIn, startStack } from './harness.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.stop(); });
afterEach(() => {
  const errs = stack?.takeErrors() ?? [];
  assert.deepEqual(errs, [], 'no console errors');
});

test('a wrong password shows an error next to the password field', { timeout: 60000 }, async () => {
  const page = await stack.newPage();
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in to relatio' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await screenshot(page, 'login');

  await page.getByLabel('E-mail').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const err = page.locator('#login-password-error');
  await err.waitFor();
  assert.equal(await err.textContent(), 'Wrong e-mail or password.');
  assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Password').getAttribute('aria-describedby'), 'login-password-error');
  // still on the sign-in page
  assert.equal(await page.getByRole('heading', { name: 'Sign in to relatio' }).count(), 1);
});

test('an empty form is refused before any request', { timeout: 30000 }, async () => {
  const page = await stack.newPage();
  await page.goto('/#/login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(await page.locator('#login-email-error').textContent(), 'Enter your e-mail address.');
});

test('the right password lands on the dashboard; sign out returns to sign in', { timeout: 60000 }, async () => {
  const page = await stack.newPage();
  await signIn(page);
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  // the user's name in the header, the nav with every section
  assert.ok(await page.locator('.user-name').textContent(), ADMIN.name);
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  for (const item of ['Dashboard', 'Customers', 'Pipeline', 'Service desk', 'Marketing', 'Imports', 'Settings']) {
    assert.equal(await nav.getByRole('link', { name: item, exact: true }).count(), 1, `nav has ${item}`);
  }
  assert.equal(await nav.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current'), 'page');
  // the dashboard: a chart when the KPI endpoint answers, an empty state until then
  await page.locator('.chart canvas, .empty').first().waitFor();
  await screenshot(page, 'dashboard');

  // the settings section opens on users and roles
  await nav.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();

  // a reload keeps the session
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to relatio' }).waitFor();
  // the session is really gone
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to relatio' }).waitFor();
});
