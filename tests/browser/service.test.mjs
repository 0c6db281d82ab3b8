// The service desk in the browser: the queue with its SLA countdown, a
// ticket's conversation with a suggested article, answering it (the reply
// shows in the conversation and the ticket waits on the customer), and the
// knowledge base: search without accents, write an article.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signIn, startStack } from './harness.mjs';

let stack;
let page;
let ticket;
before(async () => {
  stack = await startStack();
  await stack.api.must('POST', '/api/v1/sla/policies', { name: 'Default', first_response_minutes: 240, resolution_minutes: 2880 }, [201]);
  await stack.api.must('POST', '/api/v1/kb/articles', { title: 'Colis perdu ou jamais reçu', body: 'Si votre colis n’est jamais arrivé, nous lançons une enquête auprès du transporteur.', lang: 'fr', visibility: 'public' }, [201]);
  ticket = await stack.api.must('POST', '/api/v1/tickets', { customer_id: stack.customers[0].id, kind: 'complaint', priority: 'high', channel: 'email', subject: 'Colis jamais arrivé', body: 'Mon colis n’est jamais arrivé, le transporteur ne répond pas.' }, [201]);
  page = await stack.newPage();
  await signIn(page);
});
after(async () => { await stack?.stop(); });
// the empty article and ticket are refused on purpose (the browser logs those 422)
const expected = (e) => /status of 422 .*\/api\/v1\/(kb\/articles|tickets)\)$/.test(e);
afterEach(() => {
  assert.deepEqual((stack?.takeErrors() ?? []).filter((e) => !expected(e)), [], 'no console errors');
});

test('the queue shows the ticket with its SLA countdown', { timeout: 60000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Service desk' }).click();
  await page.getByRole('heading', { level: 1, name: 'Service desk' }).waitFor();
  const queue = page.getByRole('table', { name: 'Tickets, nearest SLA deadline first' });
  const row = queue.getByRole('row').filter({ hasText: 'Colis jamais arrivé' });
  await row.waitFor();
  assert.match(await row.innerText(), /due in 3 h 5\d|due in 4 h 00|due in 3 h/);
  assert.match(await row.innerText(), /High/);
  assert.deepEqual(await axeViolations(page), [], 'queue passes axe');
  await screenshot(page, 'service-queue');
});

test('a ticket taken on the phone: field errors, then created and opened', { timeout: 60000 }, async () => {
  await page.getByRole('button', { name: '+ New ticket' }).click();
  const form = page.getByRole('region', { name: 'New ticket' });
  await form.getByRole('textbox', { name: 'Customer number' }).fill('999999');
  await form.getByRole('button', { name: 'Open the ticket' }).click();
  await page.locator('#nk-subject-err').waitFor();
  assert.deepEqual(await axeViolations(page), [], 'form with errors passes axe');
  await form.getByRole('textbox', { name: 'Customer number' }).fill(String(stack.customers[1].id));
  await form.getByRole('combobox', { name: 'Kind' }).selectOption('information');
  await form.getByRole('textbox', { name: 'Subject' }).fill('Horaires du dimanche');
  await form.getByRole('textbox', { name: 'What the customer says' }).fill('Ouvert le dimanche ?');
  await form.getByRole('button', { name: 'Open the ticket' }).click();
  await page.getByRole('heading', { level: 1, name: 'Horaires du dimanche' }).waitFor();
  await page.getByRole('link', { name: 'Service desk' }).first().click();
  await page.getByRole('heading', { level: 1, name: 'Service desk' }).waitFor();
});

test('an agent answers the ticket and waits on the customer', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'Colis jamais arrivé' }).click();
  await page.getByRole('heading', { level: 1, name: 'Colis jamais arrivé' }).waitFor();
  await page.getByText('Mon colis n’est jamais arrivé, le transporteur ne répond pas.').waitFor();
  const suggested = page.getByRole('region', { name: 'Suggested articles' });
  await suggested.getByRole('link', { name: 'Colis perdu ou jamais reçu' }).waitFor();
  await page.getByRole('textbox', { name: 'Reply to the customer' }).fill('Nous avons ouvert une enquête auprès du transporteur.');
  await page.getByRole('combobox', { name: 'Then set the status to' }).selectOption('waiting');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.getByText('Nous avons ouvert une enquête auprès du transporteur.').waitFor();
  await page.getByRole('status').filter({ hasText: 'Reply sent.' }).waitFor();
  await page.locator('.page-head .badge', { hasText: 'Waiting on customer' }).waitFor();
  // the server agrees
  const t = (await stack.api.call('GET', `/api/v1/tickets/${ticket.id}`)).data;
  assert.equal(t.status, 'waiting');
  assert.equal(t.messages.at(-1).body, 'Nous avons ouvert une enquête auprès du transporteur.');
  assert.ok(t.first_response_at);
  assert.deepEqual(await axeViolations(page), [], 'ticket page passes axe');
  await screenshot(page, 'service-ticket');
});

test('an internal note is marked as such; an empty reply cannot be sent', { timeout: 30000 }, async () => {
  assert.equal(await page.getByRole('button', { name: 'Send reply' }).isDisabled(), true);
  await page.getByRole('checkbox', { name: 'Internal note' }).check();
  await page.getByRole('textbox', { name: 'Internal note (never shown to the customer)' }).fill('Client fidèle, proposer un geste.');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.locator('.msg-note', { hasText: 'Client fidèle, proposer un geste.' }).waitFor();
  const t = (await stack.api.call('GET', `/api/v1/tickets/${ticket.id}`)).data;
  assert.equal(t.messages.at(-1).internal, true);
  assert.equal(t.status, 'waiting', 'a note changes nothing');
});

test('knowledge base: search without accents, write an article', { timeout: 60000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Knowledge base' }).click();
  await page.getByRole('heading', { level: 1, name: 'Knowledge base' }).waitFor();
  await page.getByRole('searchbox', { name: 'Search' }).fill('recu');
  await page.getByRole('link', { name: 'Colis perdu ou jamais reçu' }).waitFor();
  await page.getByRole('link', { name: '+ New article' }).click();
  await page.getByRole('heading', { level: 1, name: 'New article' }).waitFor();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#ka-title-err').waitFor();
  assert.deepEqual(await axeViolations(page), [], 'editor with an error passes axe');
  await page.getByRole('textbox', { name: 'Title' }).fill('Refund delay');
  await page.getByRole('textbox', { name: 'Text' }).fill('Refunds are issued within 14 days.');
  await page.getByRole('combobox', { name: 'Article language' }).selectOption('en');
  await page.getByRole('combobox', { name: 'Visibility' }).selectOption('public');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { level: 1, name: 'Refund delay' }).waitFor();
  const found = (await stack.api.call('GET', '/api/v1/kb/search?q=refund&public=1')).data.items;
  assert.deepEqual(found.map((a) => a.title), ['Refund delay']);
  await page.getByRole('button', { name: /^Yes/ }).click();
  await page.getByText('Thank you for your vote.').waitFor();
});

test('the service pages in French', { timeout: 60000 }, async () => {
  await page.goto(`/#/service/${ticket.id}`);
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('heading', { name: 'Articles suggérés' }).waitFor();
  await page.getByRole('group', { name: 'Changer le statut' }).getByRole('button', { name: 'Passer à Ouvert' }).waitFor();
  assert.deepEqual(await axeViolations(page), [], 'ticket page in French passes axe');
  await page.getByLabel('Langue', { exact: true }).selectOption('en');
});
