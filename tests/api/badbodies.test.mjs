// Bad bodies on every route that takes one, drawn from the OpenAPI document:
// malformed JSON, a JSON array, an unknown field, and a value of the wrong
// type for each declared field. Each answer is a problem (4xx, never 5xx,
// the field named where there is one) and the data stays as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, person } from './harness.mjs';

let srv, cust;
before(async () => {
  srv = await startServer({ env: { RELATIO_SLA_SWEEP_SECONDS: '0', RELATIO_SEGMENT_REFRESH: '0' } });
  cust = (await srv.req('POST', '/api/v1/customers', person())).json;
});
after(async () => { await srv.stop(); });

// sessions, login attempts and the logs of requests change legitimately
const dump = () => execFileSync('sqlite3', [srv.db, '.dump'], { maxBuffer: 1 << 28 }).toString()
  .split('\n').filter((l) => !/INSERT INTO "?(sessions|login_attempts|event_cursors)"?/.test(l)).join('\n');

const wrongValue = (schema) => {
  switch (Array.isArray(schema?.type) ? schema.type[0] : schema?.type) {
    case 'string': return 12345;
    case 'integer': case 'number': return 'not a number';
    case 'boolean': return 'yes';
    case 'array': return 'not a list';
    case 'object': return 'not an object';
    default: return { nested: true };
  }
};

test('every JSON body is checked: malformed, array, unknown field, wrong types', async () => {
  const doc = (await srv.req('GET', '/api/v1/openapi.json', undefined, { auth: null })).json;
  const before = dump();
  let tried = 0;
  const problems = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/') || path.includes('/auth/')) continue;
    for (const [method, op] of Object.entries(item)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema?.properties) continue;
      const url = path.replace(/\{[^}]+\}/g, String(cust.id));
      const m = method.toUpperCase();
      const attempts = [
        ['malformed', '{"a": ', null],
        ['array', '[1, 2]', null],
        ['unknown field', JSON.stringify({ no_such_field_here: 1 }), 'no_such_field_here'],
      ];
      for (const [name, prop] of Object.entries(schema.properties)) {
        if (prop.readOnly || !prop.type) continue; // free JSON takes any value
        attempts.push([`${name} wrong type`, JSON.stringify({ [name]: wrongValue(prop) }), name]);
      }
      for (const [what, raw, field] of attempts) {
        const r = await srv.req(m, url, undefined, { raw, headers: { 'content-type': 'application/json' } });
        tried++;
        const ok = r.status >= 400 && r.status < 500 && r.headers.get('content-type')?.includes('problem+json');
        // a create may first name a required field that is missing
        const named = !field || (m === 'POST' && r.status === 422) || r.status === 404 || r.status === 409 || (r.json?.errors ?? []).some((e) => e.field === field || e.field.startsWith(`${field}[`) || e.field.startsWith(`${field}.`));
        if (!ok || !named) problems.push(`${m} ${path} ${what}: ${r.status} ${JSON.stringify(r.json).slice(0, 160)}`);
      }
    }
  }
  assert.deepEqual(problems, [], `${problems.length} of ${tried} bad bodies not refused properly`);
  assert.ok(tried > 300, `${tried} bad bodies tried`);
  assert.equal(dump(), before, 'the data is as it was');
});
