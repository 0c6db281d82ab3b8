// Telephony in the browser: an agent signed in to the web app gets the call
// pop-up with the caller's card after the phone system posts a signed
// ringing event, sets a follow-up task when the call ends, and gets the
// "new caller" form for an unknown number, which creates and links the
// customer.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { axeViolations, screenshot, signIn, startStack } from './harness.mjs';

const SECRET = 'browser-cti-secret-0123456789';
process.env.RELATIO_CTI_SECRET = SECRET; // the server's default webhook secret

const AGENT = { email: 'agent.cti@example.com', password: 'pass-word-1', name: 'Agent CTI', role: 'support' };
let stack;
let page;
let agentId;
before(async () => {
  stack = await startStack();
  agentId = (await stack.api.must('POST', '/api/v1/users', AGENT, [201])).id;
  page = await stack.newPage();
  // the server subscribes the browser before it answers the stream: once the
  // answer's headers are in, a posted event reaches this page
  const streaming = page.waitForResponse((r) => r.url().endsWith('/api/v1/cti/stream'), { timeout: 60000 });
  await signIn(page, AGENT);
  assert.equal((await streaming).status(), 200);
});
after(async () => { await stack?.stop(); });
afterEach(() => {
  assert.deepEqual(stack?.takeErrors() ?? [], [], 'no console errors');
});

/** Posts a call event signed as the phone system does. */
async function callEvent(ev) {
  const body = JSON.stringify({ agent: AGENT.email, to: '+33140000000', ...ev });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = 'sha256=' + crypto.createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
  const r = await fetch(`${stack.base}/api/v1/cti/events`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-cti-timestamp': ts, 'x-cti-signature': sig }, body,
  });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return JSON.parse(text).call;
}

test('a ringing call pops up the caller card; the follow-up is set from it when the call ends', { timeout: 60000 }, async () => {
  const helene = stack.customers[0];
  await stack.api.must('POST', '/api/v1/orders', { customer_id: helene.id, currency: 'EUR', total_minor: 12900 }, [201]);
  const call = await callEvent({ call_id: 'b-1', event: 'ringing', from: '06 12 34 56 78' });
  const pop = page.getByRole('region', { name: 'Call' });
  await pop.getByText('Incoming call').waitFor();
  const name = pop.getByRole('link', { name: 'Hélène Dupont' });
  await name.waitFor();
  assert.equal(await name.getAttribute('href'), `#/customers/${helene.id}`);
  assert.match(await pop.innerText(), /Last orders/i);
  assert.match(await pop.innerText(), /129[.,]00/);
  assert.deepEqual(await axeViolations(page, { include: '.cti-popup' }), [], 'the card passes axe');
  await screenshot(page, 'cti-popup');

  await callEvent({ call_id: 'b-1', event: 'answered', from: '+33612345678' });
  await pop.getByText('On the phone').waitFor();
  await callEvent({ call_id: 'b-1', event: 'ended', from: '+33612345678' });
  await pop.getByText('Call ended').waitFor();
  const fu = pop.getByRole('form', { name: 'Follow-up' });
  await fu.getByRole('textbox', { name: 'Task' }).fill('Rappeler Mme Dupont pour la livraison');
  await fu.getByRole('button', { name: 'Set the follow-up' }).click();
  await pop.getByRole('status').filter({ hasText: 'Follow-up task set.' }).waitFor();
  const tasks = await stack.api.must('GET', `/api/v1/tasks?customer_id=${helene.id}`);
  assert.equal(tasks.items.length, 1);
  assert.equal(tasks.items[0].title, 'Rappeler Mme Dupont pour la livraison');
  assert.equal(tasks.items[0].assignee_id, agentId, 'the agent’s own task');
  assert.equal((await stack.api.must('GET', `/api/v1/cti/calls/${call.id}`)).task_id, tasks.items[0].id);
  await pop.getByRole('button', { name: 'Close' }).click();
  await pop.waitFor({ state: 'detached' });
});

test('an unknown number gets the new-caller form, which creates and links the customer', { timeout: 60000 }, async () => {
  const call = await callEvent({ call_id: 'b-2', event: 'ringing', from: '+33 7 55 44 33 22' });
  const pop = page.getByRole('region', { name: 'Call' });
  const form = pop.getByRole('form', { name: 'New caller' });
  await form.waitFor();
  assert.match(await form.innerText(), /\+33755443322 is not in the customer base/);
  assert.deepEqual(await axeViolations(page, { include: '.cti-popup' }), [], 'the form passes axe');
  await form.getByRole('textbox', { name: 'First name' }).fill('Amélie');
  await form.getByRole('textbox', { name: 'Last name' }).fill('Poulain');
  await form.getByRole('button', { name: 'Create the customer' }).click();
  await pop.getByRole('link', { name: 'Amélie Poulain' }).waitFor();
  const linked = await stack.api.must('GET', `/api/v1/cti/calls/${call.id}`);
  assert.ok(linked.customer_id, 'the call now belongs to the new customer');
  const c = await stack.api.must('GET', `/api/v1/customers/${linked.customer_id}`);
  assert.equal(c.phone, '+33755443322');
  await pop.getByRole('link', { name: 'Open the 360° view' }).click();
  await page.getByRole('heading', { level: 1, name: 'Amélie Poulain' }).waitFor();
  // the 360° view offers click-to-call on the number (tel: link and button)
  assert.equal(await page.locator('a[href="tel:+33755443322"]').count() >= 1, true);
  await page.getByRole('button', { name: 'Call +33755443322' }).first().waitFor();
});

test('an administrator sets the telephony secret and click-to-call URL on the settings page', { timeout: 60000 }, async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page); // the administrator
  await page.goto('/#/settings/channels');
  const form = page.getByRole('form', { name: 'Telephony' });
  await form.getByLabel('Shared secret (16 characters at least)').fill('a-new-shared-secret-0123');
  await form.getByLabel('Click-to-call URL').fill('http://127.0.0.1:9/originate');
  await form.getByRole('button', { name: 'Save the telephony settings' }).click();
  await form.getByRole('status').filter({ hasText: 'Telephony settings saved.' }).waitFor();
  assert.deepEqual(await axeViolations(page, { include: '#set-cti' }), [], 'the card passes axe');
  const s = await stack.api.must('GET', '/api/v1/cti/settings');
  assert.equal(s.originate_url, 'http://127.0.0.1:9/originate');
  assert.equal(s.secret_set, true);
  assert.ok(!(await form.innerText()).includes('a-new-shared-secret-0123'), 'the secret is not shown back');
});
