// Find a customer, open the 360° view, log a call, see it on the timeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, signedInStack } from './harness.mjs';

let stack;
let page;
signedInStack((s, p) => { stack = s; page = p; });

test('typing "helene" without accents finds Hélène', { timeout: 60000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Customers' }).click();
  await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
  const results = page.getByRole('table', { name: 'Search results' });
  // everyone, before typing
  await results.getByRole('link', { name: 'John Smith' }).waitFor();

  await page.getByRole('searchbox', { name: 'Search' }).pressSequentially('helene', { delay: 40 });
  await results.getByRole('link', { name: 'Hélène Dupont' }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
  assert.equal(await results.getByRole('link', { name: 'John Smith' }).count(), 0);
  // the search is in the address, so going back restores it
  assert.match(page.url(), /#\/customers\?q=helene/);
  await screenshot(page, 'customers');
});

test('a search with no match says so', { timeout: 30000 }, async () => {
  await page.getByRole('searchbox', { name: 'Search' }).fill('zzzz-nobody');
  await page.getByRole('heading', { name: 'No customer matches this search.' }).waitFor();
  await page.getByRole('searchbox', { name: 'Search' }).fill('helene');
  await page.getByRole('link', { name: 'Hélène Dupont' }).waitFor();
});

test('the 360° view shows the profile, and a logged call appears on the timeline', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'Hélène Dupont' }).click();
  await page.getByRole('heading', { level: 1, name: 'Hélène Dupont' }).waitFor();
  assert.match(page.url(), /#\/customers\/[^/?]+$/);
  const profile = page.getByRole('region', { name: 'Profile' });
  await profile.getByRole('link', { name: 'helene.dupont@example.com' }).waitFor();
  for (const name of ['Consents', 'Preferences', 'Timeline']) {
    assert.equal(await page.getByRole('region', { name }).count(), 1, `${name} section`);
  }
  assert.equal(await page.getByRole('region', { name: 'Purchases' }).count(), 1);

  await page.getByRole('button', { name: /Log a call/ }).click();
  const form = page.getByRole('region', { name: 'Log an interaction' });
  await form.waitFor();
  assert.equal(await form.getByLabel('Channel').inputValue(), 'phone');
  // a subject is required
  await form.getByRole('button', { name: 'Save interaction' }).click();
  assert.equal(await form.locator('#ix-subject-error').textContent(), 'Enter a subject.');

  await form.getByLabel('Direction').selectOption('outbound');
  await form.getByLabel('Outcome').selectOption('offer_refused');
  await form.getByLabel('Offer').fill('Premium membership');
  await form.getByLabel('Subject').fill('Renewal call');
  await form.getByLabel('Notes').fill('Not interested for now; call again in the spring.');
  await form.getByRole('button', { name: 'Save interaction' }).click();

  await page.getByRole('status').filter({ hasText: 'Interaction saved.' }).waitFor();
  const timeline = page.getByRole('region', { name: 'Timeline' });
  const item = timeline.locator('li').filter({ hasText: 'Renewal call' });
  await item.waitFor();
  const text = await item.textContent();
  assert.match(text, /Phone/);
  assert.match(text, /Outbound/);
  assert.match(text, /Offer refused/);
  assert.match(text, /Premium membership/);

  // the channel filter: nothing by e-mail, the call under phone
  await timeline.getByLabel('Channel').selectOption('email');
  await timeline.getByText('Nothing in the history yet.').waitFor();
  await timeline.getByLabel('Channel').selectOption('phone');
  await timeline.locator('li').filter({ hasText: 'Renewal call' }).waitFor();
  await timeline.getByLabel('Channel').selectOption('');
  await timeline.locator('li').filter({ hasText: 'Renewal call' }).waitFor();
  await screenshot(page, 'customer-360');
});

test('keyboard: the search field and results are reachable without a mouse', { timeout: 30000 }, async () => {
  await page.goto('/#/customers');
  await page.getByRole('searchbox', { name: 'Search' }).waitFor();
  await page.getByRole('searchbox', { name: 'Search' }).focus();
  await page.keyboard.type('maroy');
  const link = page.getByRole('link', { name: 'François Maroy' });
  await link.waitFor();
  await link.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'François Maroy' }).waitFor();
});

test('relations link to the related customer, both ways', { timeout: 60000 }, async () => {
  const [helene, francois, , john, org] = stack.customers;
  await stack.api.must('POST', `/api/v1/customers/${helene.id}/relations`, { related_id: francois.id, kind: 'household' }, [200, 201]);
  await stack.api.must('POST', `/api/v1/customers/${john.id}/relations`, { related_id: org.id, kind: 'employee_of' }, [200, 201]);
  await page.goto(`/#/customers/${helene.id}`);
  const profile = page.getByRole('region', { name: 'Profile' });
  await profile.getByRole('link', { name: 'François Maroy' }).waitFor();
  assert.match(await profile.locator('li').filter({ hasText: 'François Maroy' }).textContent(), /Same household/);

  await page.goto(`/#/customers/${org.id}`);
  await page.getByRole('heading', { level: 1, name: 'Boulangerie Émile SARL' }).waitFor();
  const li = page.getByRole('region', { name: 'Profile' }).locator('li').filter({ hasText: 'John Smith' });
  assert.match(await li.textContent(), /Employs/);
  await li.getByRole('link', { name: 'John Smith' }).click();
  await page.getByRole('heading', { level: 1, name: 'John Smith' }).waitFor();
  assert.match(await page.getByRole('region', { name: 'Profile' }).locator('li').filter({ hasText: 'Boulangerie' }).textContent(), /Works for/);
});

test('an interest in an offer is logged with the offer named', { timeout: 60000 }, async () => {
  const zoe = stack.customers[2];
  await page.goto(`/#/customers/${zoe.id}`);
  await page.getByRole('heading', { level: 1, name: 'Zoé Lefèvre' }).waitFor();
  await page.getByRole('button', { name: /Log an interaction/ }).click();
  const form = page.getByRole('region', { name: 'Log an interaction' });
  await form.getByLabel('Channel').selectOption('store');
  await form.getByLabel('Direction').selectOption('inbound');
  await form.getByLabel('Outcome').selectOption('interested');
  await form.getByLabel('Subject').fill('Asked about the spring trip');
  // the offer is required for this outcome
  await form.getByRole('button', { name: 'Save interaction' }).click();
  assert.equal(await form.locator('#ix-offer-error').textContent(), 'Enter the name of the offer.');
  await form.getByLabel('Offer').fill('Spring trip to Lisbon');
  await form.getByRole('button', { name: 'Save interaction' }).click();
  const item = page.getByRole('region', { name: 'Timeline' }).locator('li').filter({ hasText: 'Asked about the spring trip' });
  await item.waitFor();
  const text = await item.textContent();
  assert.match(text, /Store/);
  assert.match(text, /Inbound/);
  assert.match(text, /Interested in an offer/);
  assert.match(text, /Spring trip to Lisbon/);
  // Escape closes the form and gives the focus back to the quick actions
  await page.getByRole('button', { name: /Log a call/ }).click();
  await form.getByLabel('Subject').waitFor();
  await page.keyboard.press('Escape');
  await form.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.includes('Log a call')), true);
});

test('filters by kind and country, and "load more" pages through the results', { timeout: 90000 }, async () => {
  // 55 more customers in Lyon, so the list needs a second page
  for (let n = 1; n <= 55; n++) {
    await stack.api.must('POST', '/api/v1/customers', {
      kind: 'person', first_name: `Pagination${n}`, last_name: 'Lyonnais', email: `page${n}@example.org`,
      addresses: [{ label: 'home', line1: `${n} rue de la République`, postal_code: '69002', city: 'Lyon', country: 'FR' }],
    }, [201, 200]);
  }
  await page.goto('/#/customers');
  const rows = page.locator('table tbody tr');
  await page.getByLabel('Kind').selectOption('organization');
  await page.getByRole('link', { name: 'Boulangerie Émile SARL' }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
  await page.getByLabel('Kind').selectOption('');

  await page.getByLabel('Country').fill('FR');
  await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 50);
  assert.equal(await page.getByRole('link', { name: 'John Smith' }).count(), 0, 'no address in France');
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 55);
  assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0, 'no third page');
  assert.equal(await rows.filter({ hasText: 'Lyon, FR' }).count(), 55);
  // every row once
  const names = await page.locator('table tbody tr .row-link').allTextContents();
  assert.equal(new Set(names).size, 55);
});
