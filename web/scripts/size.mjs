// Prints the size of the built assets, raw and gzipped, and fails the build
// when the JavaScript exceeds the budget (400 KB gzipped).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 400 * 1024;
const dir = new URL('../dist/assets/', import.meta.url).pathname;
let js = 0, jsGz = 0;
for (const name of readdirSync(dir).sort()) {
  const buf = readFileSync(join(dir, name));
  const gz = gzipSync(buf, { level: 9 }).length;
  if (name.endsWith('.js')) { js += buf.length; jsGz += gz; }
  console.log(`  ${name.padEnd(40)} ${(buf.length / 1024).toFixed(1).padStart(8)} KB  gzip ${(gz / 1024).toFixed(1).padStart(7)} KB`);
}
console.log(`web: JS ${(js / 1024).toFixed(1)} KB, ${(jsGz / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB)`);
if (jsGz > BUDGET) {
  console.error('web: the JavaScript bundle is over its gzipped budget');
  process.exit(1);
}
