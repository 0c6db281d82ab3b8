// Geomarketing in a real browser: the SVG choropleth of the départements
// from the shipped outlines, coloured by the KPI (areas without customers
// grey), the legend, a tooltip on hover, the stores as dots, régions, the
// French labels; axe on the page; a screenshot.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signIn, startStack } from './harness.mjs';

let stack;
let page;
const NODATA = '#e5e5e5';

before(async () => {
  stack = await startStack({ seed: [] });
  const people = [
    ['69003', 'Lyon', 3, 12000], ['69100', 'Villeurbanne', 2, 8000], ['75011', 'Paris', 1, 90000],
    ['33000', 'Bordeaux', 1, 3000], ['13001', 'Marseille', 2, 4000], ['99999', 'Nulle-Part', 1, 0],
  ];
  for (const [postal, city, n, amount] of people)
    for (let k = 0; k < n; k++) {
      const c = await stack.api.must('POST', '/api/v1/customers', {
        kind: 'person', first_name: 'Client', last_name: `${city} ${k}`, addresses: [{ postal_code: postal, city, country: 'FR' }],
      }, [201]);
      if (amount) await stack.api.must('POST', '/api/v1/orders', { customer_id: c.id, total_minor: amount, currency: 'EUR' }, [201]);
    }
  await stack.api.must('POST', '/api/v1/geo/stores', { code: 'lyon', name: 'Lyon Bellecour', latitude: 45.7578, longitude: 4.832 }, [201]);
  page = await stack.newPage();
  await signIn(page);
});
after(async () => { await stack?.stop(); });
afterEach(() => {
  const errs = stack?.takeErrors() ?? [];
  assert.deepEqual(errs, [], 'no console errors');
});

const fillOf = (code) => page.locator(`path.geo-area[data-code="${code}"]`).getAttribute('data-fill');

test('the département map colours areas by customers, with a legend, a tooltip and the stores', { timeout: 60000 }, async () => {
  await page.goto('/#/geo');
  await page.getByRole('heading', { level: 1, name: 'Geomarketing' }).waitFor();
  const map = page.getByTestId('geo-map');
  await map.waitFor();
  await page.getByTestId('geo-legend').waitFor();
  assert.equal(await page.locator('path.geo-area').count(), 96);
  // most customers in the Rhône: the darkest class; none in the Cantal: no data
  const rhone = await fillOf('69');
  assert.notEqual(rhone, NODATA);
  assert.equal(await fillOf('15'), NODATA);
  assert.notEqual(await fillOf('75'), NODATA);
  assert.notEqual(rhone, await fillOf('33'), 'five customers and one are in different classes');
  // legend: classes and "no data" and the stores
  const legend = page.getByTestId('geo-legend');
  assert.ok((await legend.locator('li').count()) >= 3);
  assert.match(await legend.innerText(), /No data/);
  assert.match(await legend.innerText(), /Stores/);
  assert.equal(await page.locator('circle.geo-store').count(), 1);
  // tooltip on hover
  await page.locator('path.geo-area[data-code="69"]').hover();
  await page.getByRole('tooltip').waitFor();
  assert.match(await page.getByRole('tooltip').innerText(), /Rhône \(69\): 5/);
  // the table lists the unknown postal code as its own area
  const table = page.locator('table.geo-table');
  assert.match(await table.innerText(), /Unknown postal code\s+1/);
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'geo');
});

test('any KPI and the régions, in French', { timeout: 60000 }, async () => {
  await page.goto('/#/geo');
  await page.getByTestId('geo-legend').waitFor();
  await page.getByLabel('Indicator').selectOption('revenue');
  // Paris has the highest revenue: its class is the darkest of the map
  await page.waitForFunction(() => {
    const p = document.querySelector('path.geo-area[data-code="75"]');
    return p && p.getAttribute('data-fill') === '#08519c';
  });
  await page.getByLabel('Areas').selectOption('region');
  await page.waitForFunction(() => document.querySelectorAll('path.geo-area').length === 13);
  await page.getByTestId('geo-legend').waitFor();
  assert.notEqual(await fillOf('84'), NODATA); // Auvergne-Rhône-Alpes
  assert.equal(await fillOf('53'), NODATA); // Bretagne: nobody
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('heading', { level: 1, name: 'Géomarketing' }).waitFor();
  assert.match(await page.getByTestId('geo-legend').innerText(), /Pas de données/);
  assert.equal(await page.getByLabel('Indicateur').count(), 1);
  await page.getByLabel('Langue').selectOption('en');
});
