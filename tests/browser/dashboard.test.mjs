// The dashboard: KPI line charts from GET /api/v1/analytics/kpis, the ABC
// Pareto curve, the loyalty x profitability matrix, the RFM segments and the
// cohort retention heat map (answered here by the test itself in the shape
// of the API, so the figures are known), in both languages.
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
    { month: '2026-01', revenue_minor: 1250000, active: 120, new: 14, lost: 3, churn_rate: 0.02, repeat_purchase_rate: 0.4 },
    { month: '2026-02', revenue_minor: 1410050, active: 128, new: 11, lost: 4, churn_rate: 0.03, repeat_purchase_rate: 0.42 },
    { month: '2026-03', revenue_minor: 1388000, active: 131, new: 9, lost: 6, churn_rate: 0.04, repeat_purchase_rate: 0.45 },
  ],
};

const SUMMARIES = {
  '/api/v1/analytics/abc': { summary: { customers: 10, curve: [[0, 0], [0.5, 0.8], [1, 1]], classes: {} } },
  '/api/v1/analytics/matrix': { summary: { customers: 10, quadrants: {
    true_friends: { customers: 4, customer_share: 0.4 }, butterflies: { customers: 1, customer_share: 0.1 },
    barnacles: { customers: 2, customer_share: 0.2 }, strangers: { customers: 3, customer_share: 0.3 } } } },
  '/api/v1/analytics/rfm': { summary: { customers: 10, segments: [
    { name: 'champions', label: 'Champions', customers: 6, share: 0.6, monetary_minor: 1 },
    { name: 'lost', label: 'Lost', customers: 4, share: 0.4, monetary_minor: 1 }] } },
  '/api/v1/analytics/cohorts': { as_of: '2026-03-31', cohorts: [
    { month: '2026-02', size: 10, active: [10, 4], retention: [1, 0.4] },
    { month: '2026-03', size: 5, active: [5], retention: [1] }] },
};

test('KPIs draw line charts, with the figures in an accessible table', { timeout: 60000 }, async () => {
  const page = await stack.newPage();
  await page.route('**/api/v1/analytics/kpis', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(KPIS) }));
  const summaries = (url) => url.pathname in SUMMARIES;
  await page.route(summaries, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(SUMMARIES[new URL(route.request().url()).pathname]) }));
  await signIn(page);
  const charts = page.locator('figure.chart');
  await charts.first().waitFor();
  await page.locator('figure.heat').nth(2).waitFor();
  // revenue, customers, rates, Pareto (line charts); matrix, RFM, cohorts (heat maps)
  assert.equal(await page.locator('figure.chart canvas').count(), 4);
  assert.equal(await page.locator('figure.heat').count(), 3);
  assert.equal(await page.getByRole('img', { name: 'ABC Pareto curve: share of revenue by share of customers' }).count(), 1);
  const cohort = page.locator('figure.heat', { hasText: 'Cohort retention' });
  assert.match(await cohort.textContent(), /Feb 2026\s*10\s*100%\s*40%/);
  const matrix = page.locator('figure.heat', { hasText: 'Loyalty' });
  assert.match(await matrix.locator('tr', { hasText: 'High profit' }).textContent(), /10%\s*40%/);
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
  await page.locator('figure.heat', { hasText: 'Rétention par cohorte' }).waitFor();
  await page.getByLabel('Langue').selectOption('en');
  await page.unroute('**/api/v1/analytics/kpis');
  await page.unroute(summaries);
});
