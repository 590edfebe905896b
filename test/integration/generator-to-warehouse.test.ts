import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from '../../generator';
import { runWarehouse } from '../../lambdas/warehouse/pipeline';
import { landedFileSource, listLandedFiles } from '../../local/landing-folder';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The generator's contract with the warehouse: every line it writes is staged, quarantined for the
// reason it was made bad, or recorded as a duplicate, and the numbers match its manifest.
let dir: string;
let db: TestDatabase;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'generator-to-warehouse-'));
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

test('every generated line, good or bad, lands where the manifest says', async () => {
  const summary = await generate({
    from: '2024-01-01',
    to: '2024-01-21',
    seed: 7,
    users: 150,
    badRate: 0.02,
    outDir: dir,
  });
  const manifest = JSON.parse(await readFile(path.join(dir, summary.manifestKey), 'utf8')) as {
    totals: { events: number; lines: number };
    bad_lines: Record<string, number>;
  };
  const files = await listLandedFiles(dir);
  const run = await runWarehouse(db.pool, {
    sources: await Promise.all(files.map((file) => landedFileSource('test', file))),
  });

  const bad = manifest.bad_lines;
  expect(run.staging).toMatchObject({ staged: manifest.totals.events, duplicates: bad.duplicate });
  const byReason = await db.pool.query<{ reason: string; rows: number }>(
    'select reason, count(*)::integer as rows from staging.quarantine group by reason',
  );
  expect(Object.fromEntries(byReason.rows.map((row) => [row.reason, row.rows]))).toEqual({
    invalid_json: bad.invalid_json,
    missing_field: bad.missing_field,
    unknown_event_type: bad.unknown_event_type,
    invalid_timestamp: bad.invalid_timestamp,
    future_timestamp: bad.future_timestamp,
  });
  const ledger = await db.pool.query('select sum(line_count)::integer as lines from raw.files');
  expect(ledger.rows[0].lines).toBe(manifest.totals.lines);
  expect(run.quality.filter((check) => check.severity === 'error' && !check.passed)).toEqual([]);
  // Late events are valid: they are staged for the day they happened, not the file's day.
  expect(bad.late_event).toBeGreaterThan(0);
});
