// Data quality: duplicates found on create and by a scan, merge with
// survivorship and the most restrictive consent, undo restoring every
// table, exports (CSV formula-safe, JSON, vCard) and vCard import, and the
// quality report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, userWithRole } from './harness.mjs';

let srv;
before(async () => { srv = await startServer({ env: { RELATIO_NOW: '2026-07-01T12:00:00Z' } }); });
after(async () => { await srv.stop(); });

const create = async (body) => {
  const r = await srv.req('POST', '/api/v1/customers', { kind: 'person', ...body });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
};
const lyon = (line1 = '12 rue Mercière') => ({ line1, postal_code: '69002', city: 'Lyon', country: 'FR' });

test('a likely duplicate is reported on create, a relative is not', async () => {
  const jean = await create({ first_name: 'Jean', last_name: 'Dupont', email: 'jean.dupont@example.fr', phone: '06 12 34 56 78', birth_date: '1980-04-02', addresses: [lyon()] });
  assert.deepEqual(jean.possible_duplicates, []);
  const typo = await create({ first_name: 'Jean', last_name: 'Dupond', phone: '+33 6 12 34 56 78', addresses: [lyon()] });
  const hit = typo.possible_duplicates.find((d) => d.id === jean.id);
  assert.ok(hit, JSON.stringify(typo.possible_duplicates));
  assert.ok(hit.score >= 0.5);
  for (const reason of ['phone', 'name', 'phonetic', 'postal_code']) assert.ok(hit.reasons.includes(reason), reason);
  const sister = await create({ first_name: 'Marie', last_name: 'Dupont', email: 'jean.dupont@example.fr', phone: '0612345678', birth_date: '1984-09-12', addresses: [lyon()] });
  assert.equal(sister.possible_duplicates.find((d) => d.id === jean.id), undefined);
  const listed = await srv.req('GET', `/api/v1/customers/${typo.id}/duplicates`);
  assert.equal(listed.status, 200);
  assert.ok(listed.json.items.some((d) => d.id === jean.id));
});

test('scan, list and dismiss candidate pairs', async () => {
  const a = await create({ first_name: 'Hélène', last_name: 'Lefèvre', email: 'helene.l@example.fr', addresses: [{ line1: '3 place Bellecour', postal_code: '69002', city: 'Lyon', country: 'FR' }] });
  const b = await create({ first_name: 'Helene', last_name: 'Lefebvre', email: 'helene.l@example.fr' });
  const scan = await srv.req('POST', '/api/v1/duplicates/scan', {});
  assert.equal(scan.status, 200);
  assert.ok(scan.json.pairs >= 1, JSON.stringify(scan.json));
  const list = await srv.req('GET', '/api/v1/duplicates?limit=100');
  const pair = list.json.items.find((p) => (p.a.id === a.id && p.b.id === b.id));
  assert.ok(pair, JSON.stringify(list.json.items.map((p) => [p.a.id, p.b.id])));
  assert.ok(pair.reasons.includes('email'));
  const d = await srv.req('POST', '/api/v1/duplicates/dismiss', { a: b.id, b: a.id });
  assert.equal(d.status, 200);
  const again = await srv.req('POST', '/api/v1/duplicates/dismiss', { a: a.id, b: b.id });
  assert.equal(again.status, 404);
  const dismissed = await srv.req('GET', '/api/v1/duplicates?status=dismissed');
  assert.ok(dismissed.json.items.some((p) => p.a.id === a.id && p.b.id === b.id));
  await srv.req('POST', '/api/v1/duplicates/scan', {});
  const open = await srv.req('GET', '/api/v1/duplicates?limit=500');
  assert.equal(open.json.items.find((p) => p.a.id === a.id && p.b.id === b.id), undefined, 'a dismissed pair stays dismissed');
  assert.equal((await srv.req('GET', '/api/v1/duplicates?status=maybe')).status, 422);
  assert.equal((await srv.req('POST', '/api/v1/duplicates/scan', { threshold: 2 })).status, 422);
});

test('merge moves every record, keeps the most restrictive consent, and undo restores every table', async () => {
  const s = await create({ first_name: 'Paul', last_name: 'Girard', email: 'paul.girard@example.fr', tags: ['vip'], addresses: [lyon('1 rue A')] });
  const d = await create({ first_name: 'Paul', last_name: 'Girrard', email: 'p.girard@example.org', birth_date: '1975-05-05', phone: '0611223344', tags: ['vip', 'newsletter'], addresses: [lyon('1 rue A')] });
  for (const [id, granted] of [[s.id, true], [d.id, false]]) {
    const r = await srv.req('POST', `/api/v1/customers/${id}/consents`, { channel: 'email', purpose: 'marketing', granted, legal_basis: 'consent', source: 'web' });
    assert.equal(r.status, 201);
  }
  const o = await srv.req('POST', '/api/v1/orders', { customer_id: d.id, currency: 'EUR', total_minor: 4200, ordered_at: '2026-06-01T10:00:00Z' });
  assert.equal(o.status, 201);
  const i = await srv.req('POST', '/api/v1/interactions', { customer_id: d.id, channel: 'phone', direction: 'inbound', subject: 'call' });
  assert.equal(i.status, 201);
  await srv.req('POST', `/api/v1/customers/${d.id}/relations`, { related_id: s.id, kind: 'household' });

  const before = JSON.parse(cli(['checksum', '--tables', '--db', srv.db]).stdout);
  const m = await srv.req('POST', `/api/v1/customers/${s.id}/merge`, { duplicate_id: d.id, fields: { last_name: 'survivor' } });
  assert.equal(m.status, 201, JSON.stringify(m.json));
  assert.equal(m.json.moved.orders, 1);
  assert.equal(m.json.moved.interactions, 1);
  assert.equal(m.json.fields.birth_date, 'duplicate');
  const merged = (await srv.req('GET', `/api/v1/customers/${s.id}`)).json;
  assert.equal(merged.birth_date, '1975-05-05');
  assert.equal(merged.last_name, 'Girard');
  assert.equal(merged.stats.orders, 1);
  assert.deepEqual([...merged.tags].sort(), ['newsletter', 'vip']);
  assert.ok(merged.emails.some((e) => e.email === 'p.girard@example.org'));
  assert.equal(merged.emails.filter((e) => e.primary).length, 1);
  const consents = (await srv.req('GET', `/api/v1/customers/${s.id}/consents`)).json;
  const last = (consents.items ?? consents).filter((c) => c.channel === 'email' && c.purpose === 'marketing').sort((x, y) => y.id - x.id)[0];
  assert.equal(last.granted, false, 'the withdrawal wins');
  const tomb = await srv.req('GET', `/api/v1/customers/${d.id}`);
  assert.equal(tomb.json.merged_into, s.id, 'the duplicate stays as a tombstone pointing at the survivor');
  assert.deepEqual((await srv.req('GET', `/api/v1/customers?q=girrard`)).json.items.map((c) => c.id), [s.id], 'the old spelling finds the survivor');
  const tl = (await srv.req('GET', `/api/v1/customers/${s.id}/timeline`)).json.items;
  assert.ok(tl.some((e) => e.kind === 'order') && tl.some((e) => e.kind === 'interaction'));
  assert.equal((await srv.req('POST', `/api/v1/customers/${s.id}/merge`, { duplicate_id: d.id })).status, 409);
  assert.equal((await srv.req('POST', `/api/v1/customers/${s.id}/merge`, { duplicate_id: s.id })).status, 422);
  assert.equal((await srv.req('POST', `/api/v1/customers/${s.id}/merge`, { duplicate_id: 999999 })).status, 404);
  const bad = await srv.req('POST', `/api/v1/customers/${s.id}/merge`, { duplicate_id: d.id, fields: { password: 'x' } });
  assert.ok([409, 422].includes(bad.status));

  const u = await srv.req('POST', `/api/v1/merges/${m.json.id}/undo`);
  assert.equal(u.status, 200, JSON.stringify(u.json));
  const afterUndo = JSON.parse(cli(['checksum', '--tables', '--db', srv.db]).stdout);
  const ledgers = new Set(['audit_log', 'consents', 'events', 'event_cursors', 'merges']);
  const differ = Object.keys(before).filter((t) => !ledgers.has(t) && before[t] !== afterUndo[t]);
  assert.deepEqual(differ, [], 'every table but the append-only ledgers is as before the merge');
  assert.equal((await srv.req('GET', `/api/v1/customers/${d.id}`)).status, 200);
  assert.equal((await srv.req('GET', `/api/v1/customers/${d.id}`)).json.stats.orders, 1);
  assert.equal((await srv.req('POST', `/api/v1/merges/${m.json.id}/undo`)).status, 409);
  const log = await srv.req('GET', `/api/v1/merges?customer_id=${s.id}`);
  assert.ok(log.json.items[0].undone_at);
});

test('undo refuses when the survivor changed since the merge; roles are checked', async () => {
  const s = await create({ first_name: 'Anne', last_name: 'Roux', email: 'anne.roux@example.fr' });
  const d = await create({ first_name: 'Anne', last_name: 'Roux', email: 'anne.roux@example.fr' });
  const analyst = await userWithRole(srv, 'analyst');
  assert.equal((await srv.req('POST', `/api/v1/customers/${s.id}/merge`, { duplicate_id: d.id }, { auth: analyst.token })).status, 403);
  const m = await srv.req('POST', `/api/v1/customers/${s.id}/merge`, { duplicate_id: d.id });
  assert.equal(m.status, 201);
  assert.equal((await srv.req('PATCH', `/api/v1/customers/${s.id}`, { occupation: 'teacher' })).status, 200);
  const u = await srv.req('POST', `/api/v1/merges/${m.json.id}/undo`);
  assert.equal(u.status, 409);
  assert.match(u.json.detail, /changed since the merge/);
});

test('exports: CSV neutralises formulas, JSON and vCard round-trip through the vCard import', async () => {
  const evil = await create({ first_name: '=cmd|\' /C calc\'!A0', last_name: 'Formule', email: 'formule@example.fr', tags: ['export-test'] });
  await create({ first_name: 'Zoé', last_name: 'Müller', email: 'zoe.muller@example.fr', phone: '0698765432', birth_date: '1990-01-31', tags: ['export-test'], addresses: [{ line1: '5, rue; des "Lilas"', postal_code: '75011', city: 'Paris', country: 'FR' }] });
  const csv = await fetch(`${srv.base}/api/v1/export/customers?format=csv&tag=export-test`, { headers: { authorization: `Bearer ${srv.token}` } });
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  const text = await csv.text();
  assert.ok(text.startsWith('id,kind,external_id,first_name'));
  assert.ok(text.includes(`"'=cmd|' /C calc'!A0"`) || text.includes(`'=cmd|' /C calc'!A0`), text);
  assert.ok(!/,=cmd/.test(text));
  assert.ok(text.includes('"5, rue; des ""Lilas"""'));
  const json = await srv.req('GET', '/api/v1/export/customers?format=json&tag=export-test');
  assert.equal(json.json.length, 2);
  assert.ok(json.json.some((c) => c.id === evil.id));
  const vc = await fetch(`${srv.base}/api/v1/export/customers?format=vcard&tag=export-test`, { headers: { authorization: `Bearer ${srv.token}` } });
  const cards = await vc.text();
  assert.match(vc.headers.get('content-type'), /text\/vcard/);
  assert.equal(cards.match(/BEGIN:VCARD\r\nVERSION:4.0/g).length, 2);
  assert.ok(cards.includes('N:Müller;Zoé;;;'));
  assert.ok(cards.includes('ADR:;;5\\, rue\\; des "Lilas";Paris;;75011;FR'));
  assert.ok(cards.includes('BDAY:19900131'));
  assert.ok(cards.split('\r\n').every((l) => Buffer.byteLength(l) <= 75));
  // importing the same cards again updates by e-mail, creates nothing
  const again = await srv.req('POST', '/api/v1/import/vcard', { vcard: cards });
  assert.equal(again.status, 200, JSON.stringify(again.json));
  assert.equal(again.json.created, 0);
  assert.equal(again.json.updated, 2);
  assert.equal((await srv.req('GET', '/api/v1/export/customers?format=xml')).status, 422);
});

test('vCard import: new cards, folded lines, 3.0 cards, errors by line, all or nothing', async () => {
  const good = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Léa Fontaine\r\nN:Fontaine;Léa;;;\r\nEMAIL;TYPE=INTERNET:lea.fon\r\n taine@example.fr\r\nTEL;TYPE=CELL:+33 6 55 44 33 22\r\nBDAY:1992-03-04\r\nEND:VCARD\r\n';
  const org = 'BEGIN:VCARD\nVERSION:4.0\nKIND:org\nFN:Boulangerie Dupain\nEMAIL:contact@dupain.fr\nEND:VCARD\n';
  const r = await srv.req('POST', '/api/v1/import/vcard', { vcard: good + org });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.created, 2);
  const lea = (await srv.req('GET', '/api/v1/customers?q=fontaine')).json.items[0];
  const full = (await srv.req('GET', `/api/v1/customers/${lea.id}`)).json;
  assert.equal(full.email, 'lea.fontaine@example.fr');
  assert.equal(full.phone, '+33655443322');
  assert.equal(full.birth_date, '1992-03-04');
  const broken = await srv.req('POST', '/api/v1/import/vcard', { vcard: 'BEGIN:VCARD\nVERSION:4.0\nFN Missing colon\nEND:VCARD\n' });
  assert.equal(broken.status, 422);
  assert.equal(broken.json.errors[0].field, 'line 3');
  const unclosed = await srv.req('POST', '/api/v1/import/vcard', { vcard: 'BEGIN:VCARD\nVERSION:4.0\nFN:X\n' });
  assert.equal(unclosed.status, 422);
  const badDate = 'BEGIN:VCARD\nVERSION:4.0\nFN:Bad Date\nEMAIL:bad.date@example.fr\nBDAY:20240231\nEND:VCARD\n';
  const okCard = 'BEGIN:VCARD\nVERSION:4.0\nFN:Ok Card\nEMAIL:ok.card@example.fr\nEND:VCARD\n';
  const aon = await srv.req('POST', '/api/v1/import/vcard', { vcard: okCard + badDate });
  assert.equal(aon.status, 422, JSON.stringify(aon.json));
  assert.equal(aon.json.errors[0].field, 'cards[1].birth_date');
  assert.equal((await srv.req('GET', '/api/v1/customers?q=card')).json.items.length, 0, 'all or nothing');
  const skip = await srv.req('POST', '/api/v1/import/vcard', { vcard: okCard + badDate, skip_bad: true });
  assert.equal(skip.status, 200);
  assert.equal(skip.json.created, 1);
  assert.equal(skip.json.rejected, 1);
});

test('the quality report counts completeness, invalid and stale values, duplicates', async () => {
  const r = await srv.req('GET', '/api/v1/quality?stale_months=12');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const persons = r.json.completeness.person;
  assert.ok(persons.customers >= 10);
  assert.ok(persons.fields.email.share > 0 && persons.fields.email.share <= 1);
  assert.equal(r.json.invalid.length, 4);
  assert.equal(r.json.stale.months, 12);
  assert.ok(r.json.duplicates.open_pairs >= 1);
  assert.ok(Array.isArray(r.json.expired_sources.sources));
  assert.equal((await srv.req('GET', '/api/v1/quality?stale_months=0')).status, 422);
  const cliReport = cli(['quality', '--db', srv.db]);
  assert.equal(cliReport.status, 0, cliReport.stderr);
  assert.ok(JSON.parse(cliReport.stdout).completeness);
});

test('import: rejected rows go to a file with their reasons; products, interactions; duplicates flagged', async () => {
  const { writeFileSync, readFileSync } = await import('node:fs');
  const path = await import('node:path');
  const csv = path.join(srv.dir, 'in.csv');
  const rejects = path.join(srv.dir, 'rejects.csv');
  writeFileSync(csv, 'Prénom;Nom;Courriel;Code postal;Pays\nLouis;Rolland;louis.rolland@example.fr;35000;France\nBad;Mail;not-an-email;35000;France\n=HYPERLINK("x");Formula;f@example.fr;99999999;France\nLouis;Roland;louis.rolland@example.fr;35000;France\n');
  const r = cli(['import', 'customers', csv, '--db', srv.db, '--skip-bad', '--rejects', rejects, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.rejected, 2);
  assert.equal(rep.rejects_file, rejects);
  const lines = readFileSync(rejects, 'utf8').trim().split('\r\n');
  assert.equal(lines[0], 'line,reason,Prénom,Nom,Courriel,Code postal,Pays');
  assert.equal(lines.length, 3);
  assert.match(lines[1], /^3,email: .*,Bad,Mail,not-an-email,35000,France$/);
  assert.match(lines[2], /^4,.*postal_code.*,"'=HYPERLINK\(""x""\)",Formula/);

  const dupCsv = path.join(srv.dir, 'dups.csv');
  writeFileSync(dupCsv, 'first_name,last_name,email,phone,postal_code,country\nGaëlle,Brunet,gaelle.brunet@example.fr,0611112222,44000,FR\nGaelle,Brunnet,g.brunet@example.org,06 11 11 22 22,44000,FR\n');
  const d = JSON.parse(cli(['import', 'customers', dupCsv, '--db', srv.db, '--json']).stdout);
  assert.equal(d.created, 2);
  assert.ok(d.possible_duplicates >= 1, JSON.stringify(d));

  const prod = path.join(srv.dir, 'products.csv');
  writeFileSync(prod, 'sku,name,category,price\nSKU-1,Crème hydratante,beauty,"12,50"\nSKU-2,Savon,beauty,3.20\nSKU-1,Crème hydratante,beauty,12.50\n');
  const p = JSON.parse(cli(['import', 'products', prod, '--db', srv.db, '--currency', 'EUR', '--json']).stdout);
  assert.deepEqual([p.created, p.unchanged, p.rejected], [2, 1, 0]);
  const products = await srv.req('GET', '/api/v1/products?limit=500');
  assert.equal(products.json.items.find((x) => x.sku === 'SKU-1').price_minor, 1250);

  // an invoice whose rows come back after another invoice: one order, every line
  const orders = path.join(srv.dir, 'orders.csv');
  writeFileSync(orders, 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n'
    + '900001,A1,Mug,2,2011-01-03 10:00:00,3.00,77001,United Kingdom\n'
    + '900002,B1,Plate,1,2011-01-03 10:05:00,5.00,77002,United Kingdom\n'
    + '900001,C1,Bowl,1,2011-01-03 10:00:00,4.50,77001,United Kingdom\n');
  const map = ['--map', 'InvoiceNo=order_id', '--map', 'StockCode=sku', '--map', 'Description=description', '--map', 'Quantity=quantity', '--map', 'InvoiceDate=order_date', '--map', 'UnitPrice=unit_price', '--map', 'CustomerID=customer_external_id', '--map', 'Country=country', '--currency', 'GBP'];
  const o = JSON.parse(cli(['import', 'orders', orders, '--db', srv.db, ...map, '--json']).stdout);
  assert.equal(o.created, 2, JSON.stringify(o));
  const list = (await srv.req('GET', '/api/v1/orders?limit=500')).json.items.filter((x) => x.external_id === '900001');
  assert.equal(list.length, 1);
  const full = (await srv.req('GET', `/api/v1/orders/${list[0].id}`)).json;
  assert.equal(full.lines.length, 2);
  assert.equal(full.total_minor, 1050);
  const again = JSON.parse(cli(['import', 'orders', orders, '--db', srv.db, ...map, '--json']).stdout);
  assert.equal(again.created, 0, 're-importing changes nothing');

  const inter = path.join(srv.dir, 'interactions.csv');
  writeFileSync(inter, 'email,channel,subject,at,outcome,offer\nlouis.rolland@example.fr,store,Visite en boutique,02/06/2026,,\nlouis.rolland@example.fr,call_center,Appel,03/06/2026,offer_refused,Assurance+\nnobody@example.fr,web,?,03/06/2026,,\n');
  const i = cli(['import', 'interactions', inter, '--db', srv.db, '--json']);
  assert.equal(i.status, 2, 'all or nothing: one unknown customer and nothing is written');
  const i2 = JSON.parse(cli(['import', 'interactions', inter, '--db', srv.db, '--skip-bad', '--json']).stdout);
  assert.deepEqual([i2.created, i2.rejected], [2, 1]);
  const louis = (await srv.req('GET', '/api/v1/customers?q=rolland')).json.items[0];
  const tl = (await srv.req('GET', `/api/v1/customers/${louis.id}/timeline?kind=interaction`)).json.items;
  assert.equal(tl.length, 2);
  assert.ok(tl.some((e) => e.at.startsWith('2026-06-02')));
});

test('imports through the API run as jobs with progress and a report', async () => {
  let csv = 'Prénom,Nom,Courriel,Ville,Code postal,Pays\n';
  for (let i = 0; i < 5000; i++) csv += `Prénom${i},Nom${i},api.import.${i}@example.fr,Nantes,44000,France\n`;
  const start = await srv.req('POST', '/api/v1/imports', { kind: 'customers', csv, skip_bad: true });
  assert.equal(start.status, 202, JSON.stringify(start.json));
  assert.equal(start.headers.get('location'), `/api/v1/jobs/${start.json.id}`);
  let job;
  for (let i = 0; i < 600; i++) {
    job = (await srv.req('GET', `/api/v1/jobs/${start.json.id}`)).json;
    assert.ok(job.progress >= 0 && job.progress <= 1);
    if (job.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(job.state, 'done', JSON.stringify(job));
  assert.equal(job.result.created, 5000);
  assert.equal(job.progress, 1);
  const bad = await srv.req('POST', '/api/v1/imports', { kind: 'customers', csv: 'email\nnope\n' });
  assert.equal(bad.status, 202);
  for (let i = 0; i < 100; i++) {
    job = (await srv.req('GET', `/api/v1/jobs/${bad.json.id}`)).json;
    if (job.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(job.state, 'failed');
  assert.equal(job.result.rejected, 1);
  assert.equal(job.result.problems[0].field, 'email');
  assert.equal((await srv.req('POST', '/api/v1/imports', { kind: 'pets', csv: 'a\n1\n' })).status, 422);
  assert.equal((await srv.req('POST', '/api/v1/imports', { kind: 'customers', csv: 'a\n', map: ['nope'] })).status, 422);
  assert.equal((await srv.req('GET', '/api/v1/jobs/99999')).status, 404);
});
