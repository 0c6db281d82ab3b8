// The SQL peers of bench/rescore.c: the same full rescoring (bench/rescore.sql)
// in DuckDB (npm @duckdb/node-api, the orders loaded in a DuckDB table first,
// load not timed) and in SQLite (the same database file relatio uses), as of
// the same days. Prints the median per engine and the result of the first
// run, to compare with relatio's summaries.
//   node bench/rescore_peers.mjs DB [RUNS] [SQLITE_RUNS]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const db = process.argv[2];
const runs = Number(process.argv[3] ?? 5);
const sqliteRuns = Number(process.argv[4] ?? 1);
const here = path.dirname(new URL(import.meta.url).pathname);
const sqlText = readFileSync(path.join(here, 'rescore.sql'), 'utf8');

const DAY = 86400000;
const dayOf = (d) => Math.floor(d.getTime() / DAY);
/** The day n months before day (end-of-month days clamp, as relatio's months do). */
function monthsBefore(day, n) {
  const d = new Date(day * DAY);
  const y = d.getUTCFullYear(), m = d.getUTCMonth() - n, dd = d.getUTCDate();
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return dayOf(new Date(Date.UTC(y, m, Math.min(dd, last))));
}
function bind(day, dialect) {
  let s = sqlText.replace(/--[^\n]*\n/g, '\n');
  const vars = { asof: day, c3: monthsBefore(day, 3), c6: monthsBefore(day, 6), c12: monthsBefore(day, 12), c24: monthsBefore(day, 24) };
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`:${k}`, String(v));
  if (dialect === 'sqlite') s = s.replaceAll('LEAST(', 'MIN(');
  return s;
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const asOf = dayOf(new Date(Date.UTC(2026, 10, 1)));

// --- DuckDB: export the orders once to CSV, load them, time the query
const out = path.join(here, 'out');
const csv = path.join(out, `orders-${path.basename(db)}.csv`);
if (!existsSync(csv) || statSync(csv).mtimeMs < statSync(db).mtimeMs) {
  const t0 = Date.now();
  const fd = openSync(csv, 'w');
  const r = spawnSync('sqlite3', ['-csv', '-header', db,
    'SELECT customer_id, ordered_at / 86400 AS day, kind, status, total_minor, margin_minor FROM orders'],
  { stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
  if (r.status !== 0) throw new Error('sqlite3 export failed');
  console.log(`orders exported to CSV for DuckDB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
let t0 = performance.now();
await con.run(`CREATE TABLE o AS SELECT * FROM read_csv('${csv}', header = true, columns = {'customer_id': 'BIGINT', 'day': 'INTEGER', 'kind': 'VARCHAR', 'status': 'VARCHAR', 'total_minor': 'BIGINT', 'margin_minor': 'BIGINT'})`);
const rows = (await (await con.run('SELECT COUNT(*) FROM o')).getRows())[0][0];
console.log(`duckdb: ${rows} orders loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed below)`);
const duck = [];
let first = null;
for (let r = 0; r < runs; r++) {
  t0 = performance.now();
  const res = await con.run(bind(asOf - r, 'duckdb'));
  const got = await res.getRows();
  duck.push(performance.now() - t0);
  if (r === 0) first = got;
}
console.log(`duckdb full rescoring: median ${median(duck).toFixed(0)} ms (${duck.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`duckdb result: ${first.map((x) => `${x[1]}=${x[2]}`).join(' ')}`);

// --- SQLite: the same query on relatio's own database file
const lite = [];
for (let r = 0; r < sqliteRuns; r++) {
  const script = `CREATE TEMP VIEW o AS SELECT customer_id, ordered_at / 86400 AS day, kind, status, total_minor, margin_minor FROM orders;\n${bind(asOf - r, 'sqlite')}`;
  t0 = performance.now();
  const res = spawnSync('sqlite3', ['-csv', db], { input: script, encoding: 'utf8', maxBuffer: 1 << 26 });
  lite.push(performance.now() - t0);
  if (res.status !== 0) throw new Error(`sqlite3: ${res.stderr}`);
  if (r === 0) console.log(`sqlite result: ${res.stdout.trim().split('\n').map((l) => { const f = l.split(','); return `${f[1]}=${f[2]}`; }).join(' ')}`);
}
console.log(`sqlite full rescoring: median ${median(lite).toFixed(0)} ms (${lite.map((x) => x.toFixed(0)).join(', ')})`);
