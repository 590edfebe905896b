import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSchema, migrate } from '../../../lambdas/warehouse/migrate';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { reprocessDates } from '../../../lambdas/warehouse/reprocess';
import { seedOf } from '../../../lambdas/warehouse/seeds';
import { createTestDatabase, snapshotTables, type TestDatabase } from '../../support/database';
import { ndjsonSource } from '../../support/events';

// A mapping added later is applied to what raw already holds, for the dates asked and no others.
const shipped = readFileSync(path.join(__dirname, '../../../sql/seeds/segment_mapping.json'), 'utf8');
const KEY = 'segment-logs/src1/1709251200000/1709251200000.aaaa.gz';

const track = (id: string, event: string, at: string, properties: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'track',
    event,
    messageId: id,
    userId: 'usr_1',
    anonymousId: 'anon_1',
    timestamp: at,
    properties: { sessionId: 'ses_1', ...properties },
    context: { device: { type: 'web' }, groupId: 'acct_1' },
  });

const lines = [
  track('m1', 'Signed Up', '2024-03-01T09:00:00Z', { email: 'a@example.com', plan: 'free' }),
  track('m2', 'Feature Used', '2024-03-01T10:00:00Z', { featureId: 'export', featureName: 'Export' }),
  // The product's own name for a feature, which the shipped mapping does not know, on two days.
  track('m3', 'Template Applied', '2024-03-01T11:00:00Z', { template: 'invoice' }),
  track('m4', 'Template Applied', '2024-03-02T11:00:00Z', { template: 'letter' }),
  track('m5', 'Template Applied', '2024-03-02T11:00:00Z', { template: 'letter' }).replace('m5', 'm4'),
  track('m6', 'Feature Used', '2024-03-02T10:00:00Z', { featureId: 'export', featureName: 'Export' }),
  track('m7', 'Feature Used', '2024-03-03T10:00:00Z', { featureId: 'export', featureName: 'Export' }),
];

/** The shipped mapping with "Template Applied" as feature use, its feature id read from properties.template. */
function withTemplateMapping(): string {
  const mapping = JSON.parse(shipped) as {
    version: number;
    track: Record<string, { event_type: string; fields: Record<string, string> }>;
  };
  mapping.version += 1;
  mapping.track['Template Applied'] = {
    event_type: 'feature_used',
    fields: { feature_id: 'properties.template' },
  };
  return JSON.stringify(mapping);
}

/** What a user's edit of the file does at the next migrate (runWarehouse migrates to the shipped file again). */
async function applyTemplateMapping(): Promise<void> {
  const schema = loadSchema();
  const seeds = (schema.seeds ?? []).map((seed) =>
    seed.name === 'segment_mapping' ? seedOf('segment_mapping', withTemplateMapping(), 'json') : seed,
  );
  await migrate(db.pool, { ...schema, seeds });
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { asOf: '2024-03-03', sources: [ndjsonSource(KEY, lines)] });
});
afterAll(() => db.drop());

const factRows = async (date: string) =>
  (
    await db.pool.query(
      `select xmin::text as version, user_id, feature_id, event_id from core.fact_events
       where event_date = $1 order by event_id`,
      [date],
    )
  ).rows;

test('reprocess stages what a new mapping covers, for the dates asked only, and the next run rebuilds just those', async () => {
  const unmappedBefore = await db.pool.query(
    `select event_name, row_count::integer as n from ops.unmapped_events_by_name`,
  );
  expect(unmappedBefore.rows).toEqual([{ event_name: 'Template Applied', n: 3 }]);
  const untouched = {
    '2024-03-02': await factRows('2024-03-02'),
    '2024-03-03': await factRows('2024-03-03'),
  };

  await applyTemplateMapping();
  // The mapping alone changes nothing already staged.
  expect((await db.pool.query('select count(*)::integer as n from staging.unmapped_events')).rows[0].n).toBe(
    3,
  );

  const result = await reprocessDates(db.pool, { from: '2024-03-01', to: '2024-03-01' });
  expect(result).toMatchObject({
    lines: 3,
    files: 1,
    staged: { before: 2, after: 3 },
    unmapped: { before: 1, after: 0 },
    pendingDates: 1,
  });
  const afterOnce = await snapshotTables(db.pool, [
    'staging.events',
    'staging.unmapped_events',
    'staging.duplicates',
    'staging.quarantine',
    'raw.files',
  ]);
  // Safe to repeat: the same lines, routed the same way.
  await reprocessDates(db.pool, { from: '2024-03-01', to: '2024-03-01' });
  expect(
    await snapshotTables(db.pool, [
      'staging.events',
      'staging.unmapped_events',
      'staging.duplicates',
      'staging.quarantine',
      'raw.files',
    ]),
  ).toEqual(afterOnce);

  const run = await runWarehouse(db.pool, { asOf: '2024-03-03' });
  expect(run.quality.filter((check) => !check.passed)).toEqual([]);
  expect((await factRows('2024-03-01')).map((row) => [row.event_id, row.feature_id])).toEqual([
    ['m1', null],
    ['m2', 'export'],
    ['m3', 'invoice'],
  ]);
  // The other dates' facts are the very same row versions: not rebuilt.
  expect(await factRows('2024-03-02')).toEqual(untouched['2024-03-02']);
  expect(await factRows('2024-03-03')).toEqual(untouched['2024-03-03']);
  const unmappedAfter = await db.pool.query(
    `select event_name, row_count::integer as n, first_date, last_date from ops.unmapped_events_by_name`,
  );
  expect(unmappedAfter.rows).toEqual([
    { event_name: 'Template Applied', n: 2, first_date: '2024-03-02', last_date: '2024-03-02' },
  ]);
});

test('then the rest of the range: a duplicate stays a duplicate of the first copy', async () => {
  await applyTemplateMapping();
  const result = await reprocessDates(db.pool, { from: '2024-03-02', to: '2024-03-03' });
  expect(result).toMatchObject({ staged: { before: 2, after: 3 }, unmapped: { before: 2, after: 0 } });
  expect(result.duplicates).toEqual({ before: 0, after: 1 });
  const duplicates = await db.pool.query(
    'select line_number, event_id, kept_line_number from staging.duplicates',
  );
  expect(duplicates.rows).toEqual([{ line_number: 5, event_id: 'm4', kept_line_number: 4 }]);
  await runWarehouse(db.pool, { asOf: '2024-03-03' });
  const features = await db.pool.query(
    `select feature_id, count(*)::integer as n from core.fact_events where feature_id is not null group by feature_id order by feature_id`,
  );
  expect(features.rows).toEqual([
    { feature_id: 'export', n: 3 },
    { feature_id: 'invoice', n: 1 },
    { feature_id: 'letter', n: 1 },
  ]);
});

test('refuses what is not a range of dates', async () => {
  await expect(reprocessDates(db.pool, { from: '2024-03-02', to: '2024-03-01' })).rejects.toThrow(/before/);
  await expect(reprocessDates(db.pool, { from: 'March', to: '2024-03-01' })).rejects.toThrow(/YYYY-MM-DD/);
});
