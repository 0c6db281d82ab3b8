// Imports: a CSV with a bad row is refused with the problem by line and the
// rejected rows to download; with "import the good rows" it goes through
// with a progress bar; the duplicate it created is merged, then the merge
// undone; the quality report shows completeness. Checked with axe too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, screenshot, signedInStack } from './harness.mjs';

let stack;
let page;
signedInStack((s, p) => { stack = s; page = p; });

const CSV = 'Prénom;Nom;Courriel;Téléphone;Code postal;Pays\n'
  + 'Helene;Dupond;h.dupond@example.org;06 12 34 56 78;69002;France\n'
  + 'Bad;Row;not-an-email;;69002;France\n'
  + 'Marc;Lenoir;marc.lenoir@example.fr;;75011;France\n';

test('an import reports problems by line, then imports the good rows with a progress bar', { timeout: 90000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Imports' }).click();
  await page.getByRole('heading', { level: 1, name: 'Imports and data quality' }).waitFor();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByText('Choose a CSV file.').waitFor();

  await page.locator('input[type=file]').setInputFiles({ name: 'clients.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByText('Import refused: nothing was written').waitFor();
  const problems = page.getByRole('table', { name: 'Problems by line' });
  const bad = problems.getByRole('row').filter({ hasText: 'email' });
  await bad.waitFor();
  assert.equal(await bad.getByRole('cell').first().innerText(), '3', 'the line of the bad row');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the rejected rows' }).click()]);
  const rejected = await (await dl.createReadStream()).toArray();
  assert.match(Buffer.concat(rejected).toString(), /^line,reason,Prénom;Nom;Courriel/);

  await page.getByLabel('Import the good rows, report the others').check();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByText('Import finished').waitFor();
  assert.equal(await page.getByRole('progressbar', { name: 'Import progress' }).getAttribute('value'), '100');
  await page.getByText(/3 rows: 2 created, 0 updated, 0 unchanged, 1 rejected/).waitFor();
  await page.getByText(/possible duplicate pair/).waitFor();
  await screenshot(page, 'imports');
  assert.deepEqual(await axeViolations(page), []);
});

test('a duplicate pair is merged, and the merge undone', { timeout: 60000 }, async () => {
  const dups = page.getByRole('table', { name: 'Possible duplicates' });
  const row = dups.getByRole('row').filter({ hasText: 'Helene Dupond' });
  await row.waitFor();
  await row.getByRole('button', { name: /^Merge .* into / }).click();
  await page.getByText(/^Merged into /).waitFor();
  await page.getByRole('button', { name: 'Undo' }).click();
  await row.waitFor();
  await page.getByRole('region', { name: 'Data quality' }).getByText(/Completeness over \d+ persons/).waitFor();
});
