// The language switch: French labels, <html lang>, kept across reloads.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { signIn, startStack } from './harness.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.stop(); });
afterEach(() => {
  const errs = stack?.takeErrors() ?? [];
  assert.deepEqual(errs, [], 'no console errors');
});

test('switching to French shows French labels and keeps the choice', { timeout: 60000 }, async () => {
  const page = await stack.newPage();
  await signIn(page);
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('heading', { level: 1, name: 'Tableau de bord' }).waitFor();
  await page.waitForFunction(() => document.documentElement.lang === 'fr');
  const nav = page.getByRole('navigation', { name: 'Navigation principale' });
  for (const item of ['Tableau de bord', 'Clients', 'Pipeline', 'Service client', 'Marketing', 'Imports', 'Paramètres']) {
    assert.equal(await nav.getByRole('link', { name: item, exact: true }).count(), 1, `nav has ${item}`);
  }
  assert.equal(await page.getByRole('button', { name: 'Se déconnecter' }).count(), 1);

  await nav.getByRole('link', { name: 'Clients' }).click();
  await page.getByRole('heading', { level: 1, name: 'Clients' }).waitFor();
  assert.equal(await page.getByLabel('Rechercher').count(), 1);
  assert.equal(await page.getByLabel('Cycle de vie').count(), 1);
  await page.getByRole('link', { name: 'Hélène Dupont' }).click();
  await page.getByRole('region', { name: 'Historique' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Saisir un appel/ }).count(), 1);

  // kept across a reload, in localStorage
  await page.reload();
  await page.getByRole('region', { name: 'Historique' }).waitFor();
  await page.waitForFunction(() => document.documentElement.lang === 'fr');
  assert.equal(await page.evaluate(() => localStorage.getItem('relatio.lang')), 'fr');

  // and back to English
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('region', { name: 'Timeline' }).waitFor();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
});

test('money and dates follow the language', { timeout: 60000 }, async () => {
  const page = await stack.newPage();
  await signIn(page);
  const id = stack.customers[0].id;
  await page.goto(`/#/customers/${id}`);
  const revenue = page.locator('section.stats .stat').nth(1).locator('.stat-value');
  await revenue.waitFor();
  assert.equal(await revenue.textContent(), '€0.00');
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('region', { name: 'Achats' }).waitFor();
  assert.match(await revenue.textContent(), /^0,00\s€$/);
  // dates in the profile: "Created" is written the French way
  const created = page.locator('.fact').filter({ hasText: 'Créé le' }).locator('dd');
  if (await created.count()) assert.doesNotMatch(await created.textContent(), /^[A-Z][a-z]{2} /);
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('region', { name: 'Purchases' }).waitFor();
});
