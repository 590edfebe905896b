import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { generate } from '../../../generator';
import type { Pool } from '../../../lambdas/warehouse/db';
import { forgetPerson } from '../../../lambdas/warehouse/erasure';
import { ingestFile } from '../../../lambdas/warehouse/ingest';
import { reprocessDates } from '../../../lambdas/warehouse/reprocess';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { listLandedFiles } from '../../../local/landing-folder';
import { createTestDatabase, snapshotTables, type TestDatabase } from '../../support/database';
import { ndjsonSource } from '../../support/events';

// The right to be forgotten: after forget, no table of raw, staging, core or analytics holds the
// person's id, emails or linked anonymous ids; the figures are those of a warehouse that never saw
// the person; and a re-upload of the old lines does not bring the person back.
const AS_OF = '2024-02-10';
const ANONYMOUS_ID = 'anon-forget-me';
const TRAIT_EMAIL = 'forget.me@example.org';

let dir: string;
let files: { key: string; lines: string[] }[];
let person: string;
let personEmail: string;
let forgotten: TestDatabase;
let neverSeen: TestDatabase;

/** The person's browsing before sign-up and the identify that links it, as a Segment source sends them. */
const segmentFile = () =>
  ndjsonSource('segment-logs/web/1704067200000/1704067200000.forget.gz', [
    JSON.stringify({
      type: 'track',
      event: 'Feature Used',
      messageId: 'forget-anon-1',
      anonymousId: ANONYMOUS_ID,
      timestamp: '2024-01-20T08:00:00Z',
      properties: { featureId: 'export', featureName: 'Export' },
      context: { ip: '198.51.100.7', userAgent: 'Mozilla/5.0 (forget)' },
    }),
    JSON.stringify({
      type: 'identify',
      messageId: 'forget-identify-1',
      userId: person,
      anonymousId: ANONYMOUS_ID,
      timestamp: '2024-01-20T08:05:00Z',
      traits: { email: TRAIT_EMAIL, name: 'Forget Me' },
    }),
    JSON.stringify({
      type: 'page',
      name: 'Pricing',
      messageId: 'forget-page-1',
      anonymousId: ANONYMOUS_ID,
      timestamp: '2024-01-20T07:59:00Z',
    }),
  ]);

const load = (db: TestDatabase, keep: (line: string) => boolean) =>
  Promise.all(files.map((file) => ingestFile(db.pool, ndjsonSource(file.key, file.lines.filter(keep)))));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'erasure-'));
  await generate({ from: '2024-01-01', to: AS_OF, seed: 5, users: 80, badRate: 0.01, outDir: dir });
  files = await Promise.all(
    (await listLandedFiles(dir)).map(async (file) => ({
      key: file.key,
      lines: gunzipSync(await readFile(file.path))
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== ''),
    })),
  );
  // A paying user: one whose subscriptions make up an account's MRR.
  const started = files
    .flatMap((file) => file.lines)
    .map((line) => {
      try {
        return JSON.parse(line) as { event_type?: string; user_id?: string; properties?: { email?: string } };
      } catch {
        return {};
      }
    });
  person = started.find((event) => event.event_type === 'subscription_started')?.user_id ?? '';
  personEmail =
    started.find((e) => e.event_type === 'user_signed_up' && e.user_id === person)?.properties?.email ?? '';
  expect(person).not.toBe('');
  expect(personEmail).toContain('@');

  [forgotten, neverSeen] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  const names = (line: string) => line.includes(JSON.stringify(person));
  await load(forgotten, () => true);
  await ingestFile(forgotten.pool, segmentFile());
  await runWarehouse(forgotten.pool, { asOf: AS_OF });
  await load(neverSeen, (line) => !names(line));
  await runWarehouse(neverSeen.pool, { asOf: AS_OF });
}, 120_000);
afterAll(async () => {
  await Promise.all([forgotten?.drop(), neverSeen?.drop()]);
  await rm(dir, { recursive: true, force: true });
});

/** Every text, jsonb and array cell of the layers that holds one of the strings. */
async function cellsHolding(pool: Pool, needles: string[]): Promise<string[]> {
  const { rows: columns } = await pool.query<{ schema: string; table: string; column: string }>(
    `select c.table_schema as schema, c.table_name as table, c.column_name as column
     from information_schema.columns as c
     inner join information_schema.tables as t using (table_schema, table_name)
     where c.table_schema in ('raw', 'staging', 'core', 'analytics', 'analytics_build', 'ops')
       and t.table_type = 'BASE TABLE'
       and (c.data_type in ('text', 'character varying', 'jsonb', 'json') or c.data_type = 'ARRAY')`,
  );
  const found: string[] = [];
  for (const { schema, table, column } of columns) {
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::integer as n from "${schema}"."${table}" where "${column}"::text like any($1)`,
      [needles.map((needle) => `%${needle.replace(/[\\%_]/g, '\\$&')}%`)],
    );
    if ((rows[0]?.n ?? 0) > 0) found.push(`${schema}.${table}.${column}`);
  }
  return found;
}

/** A table's rows, without the columns that say where or when they were written. */
const contents = async (pool: Pool, table: string) =>
  (await snapshotTables(pool, [table], { ignoreLineage: true, ignore: ['built_at', 'refreshed_at'] }))[
    table
  ] ?? [];

test('forget removes the person from every layer, and then the figures are those of a warehouse that never saw them', async () => {
  const needles = [person, personEmail, ANONYMOUS_ID, TRAIT_EMAIL];
  expect((await cellsHolding(forgotten.pool, needles)).length).toBeGreaterThan(5);

  const result = await forgetPerson(forgotten.pool, {
    userId: person,
    requestedBy: 'test: a data subject request',
  });
  expect(result.ids).toBe(2); // the userId and the linked anonymous id
  expect(result.rowsRemoved['raw.events']).toBeGreaterThan(10);
  expect(result.rowsRemoved['staging.identity_messages']).toBe(1);
  const run = await runWarehouse(forgotten.pool, { asOf: AS_OF });
  expect(run.quality.filter((check) => check.severity === 'error' && !check.passed)).toEqual([]);

  expect(await cellsHolding(forgotten.pool, needles)).toEqual([]);
  for (const table of [
    'core.fact_events',
    'core.fact_daily_user_activity',
    'core.fact_daily_user_features',
    'core.dim_users',
    'core.dim_user_accounts',
    'core.fact_subscription_changes',
    'core.fact_customer_mrr_monthly',
    'analytics.daily_active_users',
    'analytics.user_retention_cohorts',
    'analytics.feature_adoption_funnel',
    'analytics.churn_risk_scores',
    'analytics.mrr_monthly',
    'analytics.trial_to_paid',
    'analytics.account_health',
    'analytics.daily_active_accounts',
    'analytics.dim_users',
  ]) {
    const [a, b] = await Promise.all([contents(forgotten.pool, table), contents(neverSeen.pool, table)]);
    expect({ table, rows: a.length }).toEqual({ table, rows: b.length });
    expect(a).toEqual(b);
  }

  // The audit names no one: a salted hash, who asked, and the rows per table.
  const audit = await forgotten.pool.query(
    `select id_hash, requested_by, rows_removed, object_keys from ops.erasures`,
  );
  expect(audit.rows).toHaveLength(1);
  expect(audit.rows[0].object_keys).toContain('segment-logs/web/1704067200000/1704067200000.forget.gz');
  expect(audit.rows[0].object_keys.length).toBeGreaterThan(3);
  expect(audit.rows[0].id_hash).toMatch(/^[0-9a-f]{64}$/);
  expect(audit.rows[0].requested_by).toBe('test: a data subject request');
  const tombstones = await forgotten.pool.query('select count(*)::integer as n from ops.erased_ids');
  expect(tombstones.rows[0].n).toBe(2);
});

test('a re-upload of the old lines, or a reprocess, does not bring the person back', async () => {
  const theirs = files.flatMap((file) => file.lines).filter((line) => line.includes(JSON.stringify(person)));
  expect(theirs.length).toBeGreaterThan(10);
  const loaded = await ingestFile(
    forgotten.pool,
    ndjsonSource('events/dt=2024-02-10/re-upload.ndjson.gz', theirs),
  );
  expect(loaded).toMatchObject({ status: 'loaded', lines: 0, rows: 0 });
  const again = await ingestFile(forgotten.pool, segmentFile());
  expect(again.status).toBe('skipped'); // the same key and content: loaded once already
  await ingestFile(forgotten.pool, {
    ...segmentFile(),
    key: 'segment-logs/web/1704067200000/1704067200001.again.gz',
  });
  const ledger = await forgotten.pool.query<{ forgotten: number }>(
    `select sum(forgotten_lines)::integer as forgotten from raw.files where object_key like '%re-upload%' or object_key like '%again%'`,
  );
  // The page view names the anonymous id too: all three Segment lines, and every native one.
  expect(ledger.rows[0]?.forgotten).toBe(theirs.length + 3);
  await reprocessDates(forgotten.pool, { from: '2024-01-01', to: AS_OF });
  await runWarehouse(forgotten.pool, { asOf: AS_OF });
  expect(await cellsHolding(forgotten.pool, [person, personEmail, ANONYMOUS_ID, TRAIT_EMAIL])).toEqual([]);
  expect(await contents(forgotten.pool, 'analytics.daily_active_users')).toEqual(
    await contents(neverSeen.pool, 'analytics.daily_active_users'),
  );
});
