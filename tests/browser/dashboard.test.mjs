// The dashboard: an empty state while the server has no KPI endpoint, and a
// line chart once GET /api/v1/analytics/kpis answers (answered here by the
// test itself, in the shape of the contract, until the server has it).
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { signIn, startStack } from './harness.mjs';

let stack;
before(async () => { stack = await startStack({ seed: [] }); });
after(async () => { await stack?.stop(); });
afterEach(() => {
  const errs = stack?.takeErrors() ?? [];
  assert.deepEqual(errs, [], 'no console errors');
});

const KPIS = {
  currency: 'EUR',
  series: [
    { month: '2026-01', revenue_minor: 1250000, active: 120, new: 14, lost: 3 },
    { month: '2026-02', revenue_minor: 1410050, active: 128, new: 11, lost: 4 },
    { month: '2026-03', revenue_minor: 1388000, active: 131, new: 9, lost: 6 },
  ],
};

test('KPIs draw line charts, with the figures in an accessible table', { timeout: 60000 }, async () => {
  const page = await stack.newPage();
  await page.route('**/api/v1/analytics/kpis', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(KPIS) }));
  await signIn(page);
  const charts = page.locator('figure.chart');
  await charts.first().waitFor();
  assert.equal(await charts.count(), 2);
  assert.equal(await page.getByRole('img', { name: 'Revenue by month' }).count(), 1);
  // Chart.js drew something on the canvas
  const drawn = await page.locator('figure.chart canvas').first().evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
    return false;
  });
  assert.ok(drawn, 'the canvas has pixels');
  const table = page.locator('figure.chart table').first();
  assert.match(await table.textContent(), /Feb 2026.*€14,100\.50/);

  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('img', { name: 'Chiffre d’affaires par mois' }).waitFor();
  assert.match(await page.locator('figure.chart table').first().textContent(), /févr\. 2026.*14\s100,50\s€/);
  await page.getByLabel('Langue').selectOption('en');
  await page.unroute('**/api/v1/analytics/kpis');
});
