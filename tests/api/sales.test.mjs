// Sales force automation end to end: pipelines and stages, deals moving
// through them with history and events, illegal transitions refused with the
// data unchanged, roles, leads (scoring, qualification, conversion),
// objectives, the forecast, the sales report and the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, person, userWithRole, cli } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: '2026-10-15T09:00:00Z' } }); });
after(async () => { await srv.stop(); });

const newCustomer = async (extra) => (await srv.req('POST', '/api/v1/customers', person(extra))).json;
const stageId = (p, name) => p.stages.find((s) => s.name === name).id;
const defaultPipeline = async () => (await srv.req('GET', '/api/v1/pipelines')).json.items.find((p) => p.is_default);

test('the default pipeline has ordered stages with probabilities', async () => {
  const p = await defaultPipeline();
  assert.deepEqual(p.stages.map((s) => [s.name, s.probability, s.kind]), [
    ['Lead', 10, 'open'], ['Qualified', 25, 'open'], ['Proposal', 50, 'open'],
    ['Negotiation', 75, 'open'], ['Won', 100, 'won'], ['Lost', 0, 'lost']]);
});

test('a deal moves through its stages with full history, events and the timeline', async () => {
  const org = (await srv.req('POST', '/api/v1/customers', { kind: 'organization', name: 'Parfums Dupont SA' })).json;
  const prod = (await srv.req('POST', '/api/v1/products', { sku: 'SFA-KIT', name: 'Kit vitrine', price_minor: 125000 })).json;
  const p = await defaultPipeline();
  const r = await srv.req('POST', '/api/v1/deals', {
    customer_id: org.id, title: 'Vitrines Noël', expected_close: '2026-11-20', source: 'trade show',
    products: [{ product_id: prod.id, quantity: 4 }],
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const d = r.json;
  assert.equal(d.amount_minor, 500000, 'amount defaults to the products');
  assert.equal(d.currency, 'EUR');
  assert.equal(d.stage, 'Lead');
  assert.equal(d.probability, 10);
  assert.equal(d.weighted_minor, 50000);
  assert.equal(d.owner_id, 1);
  assert.equal(d.products[0].quantity, 4);
  assert.equal(d.history.length, 1);

  let m = await srv.req('POST', `/api/v1/deals/${d.id}/stage`, { stage_id: stageId(p, 'Proposal') });
  assert.equal(m.status, 200, JSON.stringify(m.json));
  assert.equal(m.json.probability, 50);
  m = await srv.req('POST', `/api/v1/deals/${d.id}/stage`, { stage_id: stageId(p, 'Won'), reason: 'best price' });
  assert.equal(m.status, 200);
  assert.equal(m.json.status, 'won');
  assert.equal(m.json.close_reason, 'best price');
  assert.ok(m.json.closed_at);
  assert.deepEqual(m.json.history.map((h) => [h.from_stage, h.to_stage]), [[null, 'Lead'], ['Lead', 'Proposal'], ['Proposal', 'Won']]);

  const ev = (await srv.req('GET', `/api/v1/events?customer_id=${org.id}`)).json.items;
  const types = ev.map((e) => e.type);
  assert.equal(types.filter((t) => t === 'deal.stage_changed').length, 2);
  assert.ok(types.includes('deal.won'));
  const won = ev.find((e) => e.type === 'deal.won');
  assert.equal(won.data.deal_id, d.id);
  assert.equal(won.data.amount_minor, 500000);
  const changed = ev.find((e) => e.type === 'deal.stage_changed' && e.data.stage === 'Won');
  assert.equal(changed.data.kind, 'won');

  const tl = (await srv.req('GET', `/api/v1/customers/${org.id}/timeline?kind=deal`)).json.items;
  assert.equal(tl.length, 1);
  assert.equal(tl[0].title, 'Vitrines Noël');
  assert.equal(tl[0].outcome, 'won');

  const audit = (await srv.req('GET', `/api/v1/audit?entity=deal&entity_id=${d.id}`)).json.items;
  assert.ok(audit.length >= 3);
});

test('illegal transitions and bad input are refused, naming the field, data unchanged', async () => {
  const c = await newCustomer();
  const p = await defaultPipeline();
  const other = await srv.req('POST', '/api/v1/pipelines', { name: 'Partners', currency: 'USD', stages: [
    { name: 'Contact', probability: 20 }, { name: 'Signed', probability: 100, kind: 'won' }, { name: 'Dropped', probability: 0, kind: 'lost' }] });
  assert.equal(other.status, 201, JSON.stringify(other.json));
  assert.equal(other.json.stages[0].position, 1);
  const d = (await srv.req('POST', '/api/v1/deals', { customer_id: c.id, title: 'Abonnement', amount_minor: 120000, expected_close: '2026-12-01' })).json;
  const before = (await srv.req('GET', `/api/v1/deals/${d.id}`)).json;

  const cases = [
    [`/api/v1/deals/${d.id}/stage`, { stage_id: stageId(other.json, 'Signed') }, 422, 'stage_id'],
    [`/api/v1/deals/${d.id}/stage`, { stage_id: 999999 }, 422, 'stage_id'],
    [`/api/v1/deals/${d.id}/stage`, { stage_id: stageId(p, 'Lost') }, 422, 'reason'],
    [`/api/v1/deals/${d.id}/stage`, { stage_id: 'two' }, 422, 'stage_id'],
  ];
  for (const [url, body, status, field] of cases) {
    const r = await srv.req('POST', url, body);
    assert.equal(r.status, status, JSON.stringify([body, r.json]));
    assert.equal(r.json.errors[0].field, field);
  }
  const badCreates = [
    [{ customer_id: c.id, title: 'x', amount_minor: -5 }, 'amount_minor'],
    [{ customer_id: c.id, title: 'x', amount_minor: 1e16 }, 'amount_minor'],
    [{ customer_id: c.id, title: 'x', amount_minor: 10.5 }, 'amount_minor'],
    [{ customer_id: c.id, title: 'x', currency: 'euro' }, 'currency'],
    [{ customer_id: c.id, title: 'x', currency: 'eur' }, 'currency'],
    [{ customer_id: c.id, title: 'x', expected_close: '2026-02-30' }, 'expected_close'],
    [{ customer_id: c.id, title: 'x', expected_close: 'next week' }, 'expected_close'],
    [{ customer_id: 999999, title: 'x' }, 'customer_id'],
    [{ customer_id: c.id, title: 'x', pipeline_id: other.json.id, stage_id: stageId(p, 'Lead') }, 'stage_id'],
    [{ customer_id: c.id, title: 'x', stage_id: stageId(p, 'Won') }, 'stage_id'],
    [{ customer_id: c.id, title: 'x', probability: 101 }, 'probability'],
    [{ customer_id: c.id, title: 'x', products: [{ product_id: 999999 }] }, 'products[0].product_id'],
    [{ customer_id: c.id }, 'title'],
    [{ customer_id: c.id, title: '   ' }, 'title'],
    [{ customer_id: c.id, title: 'x', colour: 'red' }, 'colour'],
  ];
  for (const [body, field] of badCreates) {
    const r = await srv.req('POST', '/api/v1/deals', body);
    assert.equal(r.status, 422, JSON.stringify([body, r.json]));
    assert.equal(r.json.errors[0].field, field, JSON.stringify(body));
  }
  const patch = await srv.req('PATCH', `/api/v1/deals/${d.id}`, { amount_minor: -1 });
  assert.equal(patch.status, 422);
  assert.equal(patch.json.errors[0].field, 'amount_minor');
  const stale = await srv.req('PATCH', `/api/v1/deals/${d.id}`, { amount_minor: 5 }, { headers: { 'if-match': '"99"' } });
  assert.equal(stale.status, 409);
  assert.deepEqual((await srv.req('GET', `/api/v1/deals/${d.id}`)).json, before, 'nothing changed');
  assert.equal((await srv.req('GET', `/api/v1/deals?customer_id=${c.id}`)).json.items.length, 1, 'no deal created');

  // a closed deal does not move any more
  const lost = await srv.req('POST', `/api/v1/deals/${d.id}/stage`, { stage_id: stageId(p, 'Lost'), reason: 'budget cut' });
  assert.equal(lost.status, 200);
  assert.equal(lost.json.status, 'lost');
  const closed = (await srv.req('GET', `/api/v1/deals/${d.id}`)).json;
  const again = await srv.req('POST', `/api/v1/deals/${d.id}/stage`, { stage_id: stageId(p, 'Proposal') });
  assert.equal(again.status, 409);
  assert.equal(again.json.errors[0].field, 'stage_id');
  const amt = await srv.req('PATCH', `/api/v1/deals/${d.id}`, { amount_minor: 1 });
  assert.equal(amt.status, 409);
  assert.deepEqual((await srv.req('GET', `/api/v1/deals/${d.id}`)).json, closed);
  const ev = (await srv.req('GET', `/api/v1/events?customer_id=${c.id}&type=deal.lost`)).json.items;
  assert.equal(ev.length, 1);
  assert.equal(ev[0].data.reason, 'budget cut');

  // a manager may reopen it, with a reason, in an open stage; a rep may not
  const rep = await userWithRole(srv, 'sales');
  assert.equal((await srv.req('POST', `/api/v1/deals/${d.id}/reopen`, { stage_id: stageId(p, 'Proposal'), reason: 'budget back' }, { auth: rep.token })).status, 403);
  const noWhy = await srv.req('POST', `/api/v1/deals/${d.id}/reopen`, { stage_id: stageId(p, 'Proposal') });
  assert.equal(noWhy.json.errors[0].field, 'reason');
  const toWon = await srv.req('POST', `/api/v1/deals/${d.id}/reopen`, { stage_id: stageId(p, 'Won'), reason: 'x' });
  assert.equal(toWon.status, 422);
  assert.equal(toWon.json.errors[0].field, 'stage_id');
  const reopened = await srv.req('POST', `/api/v1/deals/${d.id}/reopen`, { stage_id: stageId(p, 'Proposal'), reason: 'budget back' });
  assert.equal(reopened.status, 200);
  assert.equal(reopened.json.status, 'open');
  assert.equal(reopened.json.closed_at, null);
  assert.equal(reopened.json.probability, 50);
  assert.equal(reopened.json.history.at(-1).reason, 'budget back');
  assert.equal((await srv.req('POST', `/api/v1/deals/${d.id}/reopen`, { stage_id: stageId(p, 'Proposal'), reason: 'again' })).status, 409);
  assert.equal((await srv.req('GET', `/api/v1/events?customer_id=${c.id}&type=deal.reopened`)).json.items.length, 1);
  assert.equal((await srv.req('POST', `/api/v1/deals/${d.id}/stage`, { stage_id: stageId(p, 'Lost'), reason: 'budget cut again' })).status, 200);

  // a stage holding deals keeps its kind; stages can be renamed and reordered
  const kind = await srv.req('PATCH', `/api/v1/pipelines/${p.id}/stages/${stageId(p, 'Lost')}`, { kind: 'open' });
  assert.equal(kind.status, 409);
  const added = await srv.req('POST', `/api/v1/pipelines/${other.json.id}/stages`, { name: 'Demo', probability: 40, position: 2 });
  assert.equal(added.status, 201);
  assert.deepEqual(added.json.stages.map((s) => s.name), ['Contact', 'Demo', 'Signed', 'Dropped']);
  const moved = await srv.req('PATCH', `/api/v1/pipelines/${other.json.id}/stages/${stageId(added.json, 'Demo')}`, { position: 1, probability: 15 });
  assert.equal(moved.status, 200);
  assert.deepEqual(moved.json.stages.map((s) => [s.name, s.position]), [['Demo', 1], ['Contact', 2], ['Signed', 3], ['Dropped', 4]]);
  const noOpen = await srv.req('POST', '/api/v1/pipelines', { name: 'Closed only', stages: [{ name: 'Won', probability: 100, kind: 'won' }] });
  assert.equal(noOpen.status, 422);
  assert.equal(noOpen.json.errors[0].field, 'stages');
});

test('roles: analysts read, sales reps change only their own deals, managers configure', async () => {
  const c = await newCustomer();
  const analyst = await userWithRole(srv, 'analyst');
  const rep1 = await userWithRole(srv, 'sales');
  const rep2 = await userWithRole(srv, 'sales');
  const p = await defaultPipeline();
  assert.equal((await srv.req('GET', '/api/v1/deals', undefined, { auth: analyst.token })).status, 200);
  assert.equal((await srv.req('POST', '/api/v1/deals', { customer_id: c.id, title: 'x' }, { auth: analyst.token })).status, 403);
  const mine = await srv.req('POST', '/api/v1/deals', { customer_id: c.id, title: 'Rep deal', amount_minor: 1000 }, { auth: rep1.token });
  assert.equal(mine.status, 201);
  assert.equal(mine.json.owner_id, rep1.id);
  const theirs = await srv.req('POST', `/api/v1/deals/${mine.json.id}/stage`, { stage_id: stageId(p, 'Qualified') }, { auth: rep2.token });
  assert.equal(theirs.status, 403);
  assert.equal((await srv.req('POST', `/api/v1/deals/${mine.json.id}/stage`, { stage_id: stageId(p, 'Qualified') }, { auth: rep1.token })).status, 200);
  assert.equal((await srv.req('POST', '/api/v1/pipelines', { name: 'Rep pipe', stages: [{ name: 'A', probability: 1 }] }, { auth: rep1.token })).status, 403);
  assert.equal((await srv.req('POST', '/api/v1/objectives', { period: '2026-11', amount_minor: 1 }, { auth: rep1.token })).status, 403);
  assert.equal((await srv.req('GET', '/api/v1/deals', undefined, { auth: '' })).status, 401);
});

test('leads: scoring from profile and behaviour, qualification, conversion', async () => {
  const lead = await newCustomer({ occupation: 'executive' });
  for (let i = 0; i < 2; i++) {
    await srv.req('POST', '/api/v1/interactions', { customer_id: lead.id, channel: 'store', direction: 'inbound', kind: 'interest', offer: `Offre ${i}` });
  }
  await srv.req('POST', '/api/v1/interactions', { customer_id: lead.id, channel: 'web', direction: 'inbound', kind: 'request' });
  let l = (await srv.req('GET', `/api/v1/customers/${lead.id}/lead`)).json;
  // fit: e-mail 10 + phone 10 + executive 10; behaviour: 2 interests 20 + request 10 + web 2
  assert.equal(l.fit, 30);
  assert.equal(l.behaviour, 32);
  assert.equal(l.score, 62);
  assert.equal(l.grade, 'hot');
  assert.equal(l.status, 'new');
  assert.equal(l.prospect, true);

  const cfg = (await srv.req('GET', '/api/v1/leads/scoring')).json;
  cfg.fit = [{ field: 'occupation', op: 'eq', value: 'executive', points: 50 }];
  cfg.behaviour = [];
  assert.equal((await srv.req('PUT', '/api/v1/leads/scoring', cfg)).status, 200);
  l = (await srv.req('GET', `/api/v1/customers/${lead.id}/lead`)).json;
  assert.equal(l.score, 50);
  assert.equal(l.grade, 'warm');
  const bad = await srv.req('PUT', '/api/v1/leads/scoring', { ...cfg, fit: [{ field: 'shoe_size', op: 'eq', value: '42', points: 5 }] });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.errors[0].field, 'fit[0].field');
  const bad2 = await srv.req('PUT', '/api/v1/leads/scoring', { ...cfg, fit: [{ field: 'headcount', op: 'gte', points: 5 }] });
  assert.equal(bad2.json.errors[0].field, 'fit[0].number');

  const dq = await srv.req('POST', `/api/v1/customers/${lead.id}/lead`, { status: 'disqualified' });
  assert.equal(dq.status, 422);
  assert.equal(dq.json.errors[0].field, 'reason');
  assert.equal((await srv.req('POST', `/api/v1/customers/${lead.id}/lead`, { status: 'disqualified', reason: 'no budget' })).status, 200);
  const blocked = await srv.req('POST', `/api/v1/customers/${lead.id}/convert`, { title: 'First order' });
  assert.equal(blocked.status, 409);
  const q = await srv.req('POST', `/api/v1/customers/${lead.id}/lead`, { status: 'qualified' });
  assert.equal(q.status, 200);
  assert.equal(q.json.status, 'qualified');
  assert.ok(q.json.qualified_at);
  const conv = await srv.req('POST', `/api/v1/customers/${lead.id}/convert`, { title: 'First order', amount_minor: 30000, expected_close: '2026-11-30' });
  assert.equal(conv.status, 201, JSON.stringify(conv.json));
  assert.equal(conv.json.status, 'converted');
  assert.equal(conv.json.deal.customer_id, lead.id);
  assert.equal(conv.json.deal_id, conv.json.deal.id);
  assert.equal((await srv.req('POST', `/api/v1/customers/${lead.id}/convert`, { title: 'again' })).status, 409);
  const types = (await srv.req('GET', `/api/v1/events?customer_id=${lead.id}`)).json.items.map((e) => e.type);
  for (const t of ['lead.disqualified', 'lead.qualified', 'lead.converted', 'deal.created']) assert.ok(types.includes(t), t);

  // rescoring makes prospects leads, listed best first
  const r = await srv.req('POST', '/api/v1/leads/rescore');
  assert.equal(r.status, 200);
  assert.ok(r.json.rescored >= 1);
  const list = (await srv.req('GET', '/api/v1/leads?status=new&limit=500')).json.items;
  assert.ok(list.length >= 1);
  for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].score >= list[i].score);
});

test('objectives, forecast = won + weighted pipeline by close month, report, CLI', async () => {
  const rep = await userWithRole(srv, 'sales');
  const p = await defaultPipeline();
  const c = await newCustomer();
  const mk = async (title, amount, close, stage) => {
    const d = await srv.req('POST', '/api/v1/deals', { customer_id: c.id, title, amount_minor: amount, expected_close: close, owner_id: rep.id });
    assert.equal(d.status, 201, JSON.stringify(d.json));
    if (stage) {
      const m = await srv.req('POST', `/api/v1/deals/${d.json.id}/stage`, { stage_id: stageId(p, stage), reason: 'test' });
      assert.equal(m.status, 200);
    }
    return d.json;
  };
  await mk('A', 100000, '2027-01-10', 'Proposal');   // 50 % → 50 000
  await mk('B', 33333, '2027-01-31', 'Negotiation'); // 75 % → 24 999.75
  await mk('C', 80000, '2027-02-14');                // Lead 10 % → 8 000
  await mk('D', 70000, '2027-03-01', 'Lost');        // lost: not counted
  await mk('E', 9999, '2027-04-01');                 // outside Q1
  // won now (2026-10-15), counted in October
  await mk('F', 25000, '2026-12-01', 'Won');

  for (const [body, field] of [[{ user_id: rep.id, period: '2027-Q5', amount_minor: 1 }, 'period'], [{ user_id: rep.id, period: '2027-Q1', amount_minor: -1 }, 'amount_minor'], [{ user_id: 999999, period: '2027-Q1', amount_minor: 1 }, 'user_id'], [{ user_id: rep.id, team: 'x', period: '2027', amount_minor: 1 }, 'team']]) {
    const r = await srv.req('POST', '/api/v1/objectives', body);
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.json.errors[0].field, field);
  }
  assert.equal((await srv.req('POST', '/api/v1/objectives', { user_id: rep.id, period: '2027-Q1', amount_minor: 300000 })).status, 201);
  assert.equal((await srv.req('POST', '/api/v1/objectives', { user_id: rep.id, period: '2027-02', amount_minor: 50000 })).status, 201);

  const f = await srv.req('GET', `/api/v1/forecast?period=2027-Q1&owner_id=${rep.id}`);
  assert.equal(f.status, 200, JSON.stringify(f.json));
  const [jan, feb, mar] = f.json.months;
  assert.equal(jan.month, '2027-01');
  assert.equal(jan.pipeline_minor, 133333);
  assert.equal(jan.weighted_minor, 75000); // 5 000 000 + 2 499 975 hundredths, rounded once
  assert.equal(feb.weighted_minor, 8000);
  assert.equal(mar.weighted_minor, 0);
  // the month's own objective wins over its share of the quarter's (100 000 each)
  assert.deepEqual([jan.objective_minor, feb.objective_minor, mar.objective_minor], [100000, 50000, 100000]);
  assert.equal(f.json.total.forecast_minor, 83000);
  assert.equal(f.json.total.objective_minor, 250000);
  assert.equal(f.json.total.gap_minor, 167000);
  assert.equal(f.json.total.open_deals, 3);

  const mine = (await srv.req('GET', '/api/v1/forecast?period=2027-Q1&owner_id=me', undefined, { auth: rep.token })).json;
  assert.deepEqual(mine.total, f.json.total);
  const oct = (await srv.req('GET', `/api/v1/forecast?period=2026-10&owner_id=${rep.id}`)).json;
  assert.equal(oct.total.won_minor, 25000);
  assert.equal(oct.total.objective_minor, null);
  assert.equal((await srv.req('GET', '/api/v1/forecast?period=2026-13')).status, 400);

  const rep2 = await srv.req('GET', '/api/v1/reports/sales?from=2026-10-01&to=2026-10-31');
  assert.equal(rep2.status, 200, JSON.stringify(rep2.json));
  const mineRow = rep2.json.by_owner.find((o) => o.owner_id === rep.id);
  assert.equal(mineRow.won_deals, 1);
  assert.equal(mineRow.lost_deals, 1);
  assert.equal(mineRow.open_deals, 4);
  assert.ok(rep2.json.win_rate > 0 && rep2.json.win_rate < 1);
  assert.ok(rep2.json.by_stage.some((s) => s.stage === 'Proposal' && s.count >= 1));
  assert.equal((await srv.req('GET', '/api/v1/reports/sales?from=2026-10-31&to=2026-10-01')).status, 400);

  const out = cli(['forecast', '--db', srv.db, '--period', '2027-Q1', '--owner', rep.email, '--json']);
  assert.equal(out.status, 0, out.stderr);
  assert.equal(JSON.parse(out.stdout).total.forecast_minor, 83000);
  const text = cli(['forecast', '--db', srv.db, '--period', '2027-Q1', '--owner', String(rep.id)]);
  assert.match(text.stdout, /2027-02\s+0\.00\s+80\.00/);
  assert.equal(cli(['forecast', '--db', srv.db]).status, 1);
  const rep3 = cli(['sales', 'report', '--db', srv.db, '--from', '2026-10-01', '--to', '2026-10-31', '--json']);
  assert.equal(rep3.status, 0, rep3.stderr);
  assert.equal(JSON.parse(rep3.stdout).won_deals, rep2.json.won_deals);
  assert.equal(cli(['sales', 'report', '--db', srv.db, '--from', 'yesterday', '--to', '2026-10-31']).status, 1);
  const resc = cli(['sales', 'rescore-leads', '--db', srv.db]);
  assert.equal(resc.status, 0, resc.stderr);
  assert.ok(JSON.parse(resc.stdout).rescored >= 1);
  assert.equal(cli(['forecast', '--db', srv.db, '--period', 'soon']).status, 1);
});
