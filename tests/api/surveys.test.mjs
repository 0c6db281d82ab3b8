// Satisfaction surveys: CSAT, NPS and custom questionnaires; answers out of
// scale, unknown or missing refused with nothing written; one answer per
// customer (or per invitation); invitation links; CSAT after a ticket;
// attitudes on the customer; results (CSAT %, NPS); the survey.answered
// event; the 360° timeline; roles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person, userWithRole, cli } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: '2026-07-01T12:00:00Z' } }); });
after(async () => { await srv.stop(); });

const newCustomer = async () => (await srv.req('POST', '/api/v1/customers', person())).json;
const answer = (sid, customer_id, answers, opts) => srv.req('POST', `/api/v1/surveys/${sid}/responses`, { customer_id, answers }, opts);
const mine = async (id) => (await srv.req('GET', `/api/v1/customers/${id}/surveys`)).json;

test('CSAT: scale 1-5, once per customer, attitudes, results, timeline', async () => {
  const s = await srv.req('POST', '/api/v1/surveys', { name: 'Store visit', kind: 'csat' });
  assert.equal(s.status, 201, JSON.stringify(s.json));
  assert.equal(s.json.scale_max, 5);
  assert.match(s.json.question, /satisfied/);
  const a = await newCustomer();
  for (const [ans, field] of [[{ score: 0 }, 'answers.score'], [{ score: 6 }, 'answers.score'], [{ score: 3.5 }, 'answers.score'],
    [{ score: '4' }, 'answers.score'], [{}, 'answers.score'], [{ score: 4, mood: 'ok' }, 'answers'], [{ score: 4, comment: 'x'.repeat(2001) }, 'answers.comment']]) {
    const r = await answer(s.json.id, a.id, ans);
    assert.equal(r.status, 422, JSON.stringify(ans));
    assert.equal(r.json.errors[0].field, field, JSON.stringify(ans));
  }
  assert.equal((await mine(a.id)).responses.length, 0, 'nothing written');
  const ok = await answer(s.json.id, a.id, { score: 2, comment: 'long wait at the till' });
  assert.equal(ok.status, 201, JSON.stringify(ok.json));
  assert.equal(ok.json.kind, 'csat');
  assert.equal(ok.json.score, 2);
  assert.equal(ok.json.scale_max, 5);
  const twice = await answer(s.json.id, a.id, { score: 5 });
  assert.equal(twice.status, 409);
  const m = await mine(a.id);
  assert.equal(m.responses.length, 1);
  assert.equal(m.attitudes.satisfaction, 0.4);
  // unknown customer, unknown survey
  assert.equal((await answer(s.json.id, 999999, { score: 3 })).status, 404);
  assert.equal((await answer(999999, a.id, { score: 3 })).status, 404);
  for (const sc of [5, 4, 4, 1]) assert.equal((await answer(s.json.id, (await newCustomer()).id, { score: sc })).status, 201);
  const res = (await srv.req('GET', `/api/v1/surveys/${s.json.id}/results`)).json;
  assert.equal(res.responses, 5);
  assert.equal(res.csat, 60, '3 of 5 answered 4 or 5');
  assert.equal(res.mean, 3.2);
  assert.deepEqual(res.distribution, { 1: 1, 2: 1, 4: 2, 5: 1 });
  const tl = (await srv.req('GET', `/api/v1/customers/${a.id}/timeline?kind=survey`)).json.items;
  assert.equal(tl.length, 1);
  assert.equal(tl[0].title, 'Store visit');
  assert.equal(tl[0].outcome, 'csat 2/5');
  assert.equal(tl[0].detail, 'long wait at the till');
  const page = (await srv.req('GET', `/api/v1/surveys/${s.json.id}/responses?limit=2`)).json;
  assert.equal(page.items.length, 2);
  assert.ok(page.next_cursor);
  // the same answer sent ten times at once is recorded once
  const d = await newCustomer();
  const burst = await Promise.all(Array.from({ length: 10 }, () => answer(s.json.id, d.id, { score: 3 })));
  assert.equal(burst.filter((r) => r.status === 201).length, 1);
  assert.equal(burst.filter((r) => r.status === 409).length, 9);
  assert.equal((await mine(d.id)).responses.length, 1);
  // a closed survey takes no more answers
  assert.equal((await srv.req('POST', `/api/v1/surveys/${s.json.id}/close`)).json.status, 'closed');
  assert.equal((await answer(s.json.id, (await newCustomer()).id, { score: 3 })).status, 409);
});

test('NPS: scale 0-10, promoters minus detractors; the event carries the score', async () => {
  const s = (await srv.req('POST', '/api/v1/surveys', { name: 'Recommend', kind: 'nps' })).json;
  assert.equal(s.scale_max, 10);
  const ids = [];
  for (const sc of [10, 9, 8, 6, 0]) {
    const c = await newCustomer();
    ids.push(c.id);
    assert.equal((await answer(s.id, c.id, { score: sc })).status, 201);
  }
  assert.equal((await answer(s.id, (await newCustomer()).id, { score: 11 })).status, 422);
  assert.equal((await answer(s.id, (await newCustomer()).id, { score: -1 })).status, 422);
  const res = (await srv.req('GET', `/api/v1/surveys/${s.id}/results`)).json;
  assert.equal(res.nps, 0, '2 promoters, 2 detractors of 5');
  assert.equal(res.promoters, 2);
  assert.equal(res.passives, 1);
  assert.equal(res.detractors, 2);
  assert.equal((await mine(ids[3])).attitudes.nps, 6);
  const ev = await srv.req('GET', `/api/v1/events?customer_id=${ids[3]}&type=survey.answered`);
  assert.equal(ev.status, 200);
  assert.equal(ev.json.items.length, 1);
  const d = ev.json.items[0].data;
  assert.ok(d.response_id > 0);
  assert.deepEqual({ ...d, response_id: 0 }, { survey_id: s.id, kind: 'nps', score: 6, scale_max: 10, response_id: 0, ticket_id: null });
});

test('custom questionnaires: checked questions, satisfaction and repurchase intention', async () => {
  const bad = [
    [{ name: 'x', kind: 'custom' }, 'questions'],
    [{ name: 'x', kind: 'custom', questions: [{ key: 'Bad Key', label: 'l', type: 'text' }] }, 'questions[0].key'],
    [{ name: 'x', kind: 'custom', questions: [{ key: 'a', label: 'l', type: 'scale' }] }, 'questions[0].scale_max'],
    [{ name: 'x', kind: 'custom', questions: [{ key: 'a', label: 'l', type: 'choice', choices: ['one'] }] }, 'questions[0].choices'],
    [{ name: 'x', kind: 'custom', questions: [{ key: 'a', label: 'l', type: 'text' }, { key: 'a', label: 'm', type: 'text' }] }, 'questions[1].key'],
    [{ name: 'x', kind: 'custom', questions: [{ key: 'a', label: 'l', type: 'text', attitude: 'satisfaction' }] }, 'questions[0].attitude'],
    [{ name: 'x', kind: 'csat', questions: [{ key: 'a', label: 'l', type: 'text' }] }, 'questions'],
    [{ name: 'x', kind: 'poll' }, 'kind'],
  ];
  for (const [body, field] of bad) {
    const r = await srv.req('POST', '/api/v1/surveys', body);
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.json.errors[0].field, field, JSON.stringify(body));
  }
  const s = await srv.req('POST', '/api/v1/surveys', { name: 'After delivery', kind: 'custom', questions: [
    { key: 'satisfied', label: 'Satisfied with the delivery?', type: 'scale', scale_max: 10, scale_min: 0, attitude: 'satisfaction', required: true },
    { key: 'again', label: 'Would you buy again?', type: 'yesno', attitude: 'repurchase_intention' },
    { key: 'channel', label: 'Where did you hear of us?', type: 'choice', choices: ['friend', 'web', 'store'] },
    { key: 'remarks', label: 'Anything else?', type: 'text' },
  ] });
  assert.equal(s.status, 201, JSON.stringify(s.json));
  const c = await newCustomer();
  for (const [ans, field] of [[{ again: true }, 'answers.satisfied'], [{ satisfied: 11 }, 'answers.satisfied'], [{ satisfied: 5, again: 'yes' }, 'answers.again'],
    [{ satisfied: 5, channel: 'radio' }, 'answers.channel'], [{ satisfied: 5, extra: 1 }, 'answers']]) {
    const r = await answer(s.json.id, c.id, ans);
    assert.equal(r.status, 422, JSON.stringify(ans));
    assert.equal(r.json.errors[0].field, field);
  }
  const ok = await answer(s.json.id, c.id, { satisfied: 8, again: false, channel: 'friend', remarks: 'fine', comment: 'merci' });
  assert.equal(ok.status, 201, JSON.stringify(ok.json));
  assert.equal(ok.json.kind, 'custom');
  assert.equal(ok.json.score, 8);
  assert.equal(ok.json.scale_max, 10);
  assert.equal(ok.json.answers.channel, 'friend');
  const att = (await mine(c.id)).attitudes;
  assert.equal(att.satisfaction, 0.8);
  assert.equal(att.repurchase_intention, 0);
  assert.equal(att.nps, null);
});

test('invitations: a secret link answered once; CSAT after a resolved ticket', async () => {
  const s = (await srv.req('POST', '/api/v1/surveys', { name: 'Web site', kind: 'csat' })).json;
  const c = await newCustomer();
  const inv = await srv.req('POST', `/api/v1/surveys/${s.id}/invitations`, { customer_id: c.id, channel: 'email' });
  assert.equal(inv.status, 201, JSON.stringify(inv.json));
  assert.match(inv.json.token, /^[0-9a-f]{64}$/);
  const form = await srv.req('GET', `/api/v1/survey-invitations/${inv.json.token}`, undefined, { auth: null });
  assert.equal(form.status, 200);
  assert.equal(form.json.name, 'Web site');
  assert.equal(form.json.answered, false);
  assert.equal((await srv.req('GET', `/api/v1/survey-invitations/${'0'.repeat(64)}`, undefined, { auth: null })).status, 404);
  const url = `/api/v1/survey-invitations/${inv.json.token}/answers`;
  assert.equal((await srv.req('POST', url, { answers: { score: 9 } }, { auth: null })).status, 422);
  const a1 = await srv.req('POST', url, { answers: { score: 1 } }, { auth: null });
  assert.equal(a1.status, 201, JSON.stringify(a1.json));
  assert.deepEqual(Object.keys(a1.json).sort(), ['id', 'status'], 'the public link learns nothing else');
  const a2 = await srv.req('POST', url, { answers: { score: 5 } }, { auth: null });
  assert.equal(a2.status, 409);
  assert.equal((await srv.req('GET', `/api/v1/survey-invitations/${inv.json.token}`, undefined, { auth: null })).json.answered, true);
  // a second invitation lets the customer answer again (a new visit)
  await srv.req('POST', `/api/v1/surveys/${s.id}/invitations`, { customer_id: c.id });
  assert.equal((await answer(s.id, c.id, { score: 4 })).status, 201, 'fills the open invitation');
  assert.equal((await answer(s.id, c.id, { score: 4 })).status, 409);
  assert.equal((await mine(c.id)).responses.length, 2);
  // CSAT for a ticket: one invitation per ticket, the response carries the ticket
  const t = await srv.req('POST', '/api/v1/surveys/ticket-csat', { ticket_id: 4242, customer_id: c.id });
  assert.equal(t.status, 201, JSON.stringify(t.json));
  assert.equal((await srv.req('POST', '/api/v1/surveys/ticket-csat', { ticket_id: 4242, customer_id: c.id })).status, 409);
  assert.equal((await srv.req('POST', '/api/v1/surveys/ticket-csat', { ticket_id: 4243 })).status, 422);
  const ta = await srv.req('POST', `/api/v1/survey-invitations/${t.json.token}/answers`, { answers: { score: 2 } }, { auth: null });
  assert.equal(ta.status, 201);
  const r = (await mine(c.id)).responses.find((x) => x.id === ta.json.id);
  assert.equal(r.ticket_id, 4242);
  assert.equal(r.survey_id, t.json.survey_id);
  // the job that reads ticket.resolved invites the customer of a resolved ticket, once
  const c2 = await newCustomer();
  const tk = await srv.req('POST', '/api/v1/tickets', { customer_id: c2.id, kind: 'assistance', subject: 'Colis abîmé' });
  assert.equal(tk.status, 201, JSON.stringify(tk.json));
  assert.equal((await srv.req('PATCH', `/api/v1/tickets/${tk.json.id}`, { status: 'resolved' })).status, 200);
  const job = await srv.req('POST', '/api/v1/surveys/ticket-csat/sync');
  assert.equal(job.status, 200);
  assert.equal(job.json.invited, 1);
  assert.equal((await srv.req('POST', '/api/v1/surveys/ticket-csat/sync')).json.invited, 0);
  const viaCli = cli(['survey', 'ticket-csat', '--db', srv.db, '--json']);
  assert.equal(viaCli.status, 0, viaCli.stderr);
  assert.equal(JSON.parse(viaCli.stdout).invited, 0);
  const inv2 = await srv.req('GET', `/api/v1/events?customer_id=${c2.id}&type=survey.invited`);
  assert.equal(inv2.json.items.length, 1);
  assert.equal(inv2.json.items[0].data.ticket_id, tk.json.id);
  // answered in the portal: the answer fills that invitation and carries the ticket
  const pa = await answer(t.json.survey_id, c2.id, { score: 1, comment: 'trop long' });
  assert.equal(pa.status, 201, JSON.stringify(pa.json));
  assert.equal(pa.json.ticket_id, tk.json.id);
  assert.equal(pa.json.invitation_id, inv2.json.items[0].data.invitation_id);
});

test('roles: analysts read, marketing designs, support records answers', async () => {
  const analyst = await userWithRole(srv, 'analyst');
  const support = await userWithRole(srv, 'support');
  const marketing = await userWithRole(srv, 'marketing');
  assert.equal((await srv.req('POST', '/api/v1/surveys', { name: 'x', kind: 'nps' }, { auth: support.token })).status, 403);
  const s = await srv.req('POST', '/api/v1/surveys', { name: 'Mkt', kind: 'nps' }, { auth: marketing.token });
  assert.equal(s.status, 201);
  const c = await newCustomer();
  assert.equal((await answer(s.json.id, c.id, { score: 7 }, { auth: analyst.token })).status, 403);
  assert.equal((await answer(s.json.id, c.id, { score: 7 }, { auth: support.token })).status, 201);
  assert.equal((await srv.req('GET', `/api/v1/surveys/${s.json.id}/results`, undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('GET', '/api/v1/surveys', undefined, { auth: null })).status, 401);
  const audit = await srv.req('GET', `/api/v1/customers/${c.id}/audit`);
  assert.ok(audit.json.items.some((x) => x.action === 'survey_answer'), 'attitudinal data is audited');
  const list = (await srv.req('GET', '/api/v1/surveys')).json.items;
  assert.ok(list.some((x) => x.builtin === 'ticket_csat'));
});
