// The customer portal in a phone-sized Chromium: ask for a sign-in link, read
// it from a real SMTP server, follow it, change preferences, see the orders,
// open a request, give a consent, switch to French; no horizontal scrolling,
// no serious accessibility violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, axeViolations, screenshot } from './harness.mjs';
import { startSmtpSink } from '../api/sinks.mjs';

let stack, smtp, lea;

function qpDecode(s) {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

before(async () => {
  smtp = await startSmtpSink();
  process.env.RELATIO_SMTP_URL = smtp.url;
  stack = await startStack({ seed: [] });
  lea = await stack.api.must('POST', '/api/v1/customers', { kind: 'person', first_name: 'Léa', last_name: 'Roux', email: 'lea.portal@example.fr' });
  await stack.api.must('POST', '/api/v1/orders', { customer_id: lea.id, external_id: 'W-1001', ordered_at: '2026-01-05', currency: 'EUR', lines: [{ sku: 'P1', description: 'Lamp', quantity: 1, unit_price_minor: 4990 }] });
});

after(async () => {
  await stack?.stop();
  await smtp?.stop();
  delete process.env.RELATIO_SMTP_URL;
});

test('sign in by e-mailed link on a phone, then self-care', async () => {
  const page = await stack.newPage();
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto('/#/portal');
  await page.getByLabel('E-mail').fill(lea.email);
  await page.getByRole('button', { name: 'E-mail me a sign-in link' }).click();
  await page.getByText(/a sign-in link is on its way/).waitFor();
  const mail = smtp.to(lea.email).at(-1);
  const link = /(http:\/\/127\.0\.0\.1:\d+\/#\/portal\/link\/[0-9a-f]{64})/.exec(qpDecode(mail.data))[1];
  assert.ok(link.startsWith(stack.base));

  await page.goto(link);
  await page.getByRole('heading', { name: 'Hello Léa' }).waitFor();
  assert.deepEqual(await axeViolations(page), []);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no horizontal scrolling');

  await page.getByLabel('How to contact me').selectOption('sms');
  await page.getByLabel('My interests (separated by commas)').fill('lamps, trips');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  const staff = await stack.api.must('GET', `/api/v1/customers/${lea.id}`);
  assert.equal(staff.preferred_channel, 'sms');
  await screenshot(page, 'portal-profile');

  await page.getByRole('link', { name: 'Orders' }).click();
  await page.getByText('W-1001').waitFor();

  await page.getByRole('link', { name: 'Requests' }).click();
  await page.getByLabel('Subject').fill('Broken lamp');
  await page.getByLabel('Message').fill('It arrived broken.');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByText('Your request is registered.').waitFor();
  await page.getByRole('button', { name: 'Broken lamp' }).waitFor();

  await page.getByRole('link', { name: 'Consents' }).click();
  await page.getByLabel('The newsletter by e-mail').check();
  await page.getByText(/email \/ newsletter · granted/).waitFor();
  const consents = await stack.api.must('GET', `/api/v1/customers/${lea.id}/consents`);
  assert.ok((consents.items ?? consents).some((c) => c.purpose === 'newsletter' && c.granted));

  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('link', { name: 'Consentements' }).waitFor();
  await page.getByRole('heading', { name: 'Bonjour Léa' }).waitFor();
  assert.deepEqual(await axeViolations(page), []);
  // signed out, the portal asks /portal/v1/me first and gets the expected 401
  assert.deepEqual(stack.takeErrors().filter((e) => !/status of 401 .*\/portal\/v1\/me\)/.test(e)), []);
});

test('a used link does not sign in twice', async () => {
  const page = await stack.newPage();
  const mail = smtp.to(lea.email).at(-1);
  const link = /(http:\/\/127\.0\.0\.1:\d+\/#\/portal\/link\/[0-9a-f]{64})/.exec(qpDecode(mail.data))[1];
  await stack.context.clearCookies();
  await page.goto(link);
  await page.getByText(/(This link is not valid any more|Ce lien n’est plus valable)/).waitFor();
  stack.takeErrors(); // the refused redeem is logged by the browser as a failed load
});
