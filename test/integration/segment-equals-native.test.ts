import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from '../../generator';
import type { Pool } from '../../lambdas/warehouse/db';
import { runWarehouse } from '../../lambdas/warehouse/pipeline';
import { landedFileSource, listLandedFiles } from '../../local/landing-folder';
import { createTestDatabase, snapshotTables, type TestDatabase } from '../support/database';

// The same generated events, once in the contract and once as Segment messages through the shipped
// mapping (sql/seeds/segment_mapping.json), give the same warehouse: the same staged events, the same
// core facts and dimensions, and the same published analytics, row for row.
const RANGE = { from: '2024-01-01', to: '2024-02-11', seed: 11, users: 120 } as const;

const dirs: string[] = [];
let native: TestDatabase;
let segment: TestDatabase;
let visited: TestDatabase;
beforeAll(async () => {
  [native, segment, visited] = await Promise.all([
    createTestDatabase(),
    createTestDatabase(),
    createTestDatabase(),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([native?.drop(), segment?.drop(), visited?.drop()]);
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function load(db: TestDatabase, format: 'native' | 'segment', anonymousVisitors = false) {
  const dir = await mkdtemp(path.join(tmpdir(), `segment-equals-native-${format}-`));
  dirs.push(dir);
  const summary = await generate({ ...RANGE, format, anonymousVisitors, outDir: dir });
  const files = await listLandedFiles(dir);
  const run = await runWarehouse(db.pool, {
    asOf: RANGE.to,
    sources: await Promise.all(files.map((file) => landedFileSource('landing', file))),
  });
  return { summary, files, run };
}

/** A table's rows (those `where` holds for), without the columns that say where or when they were written. */
const contents = async (pool: Pool, table: string, where = 'true') =>
  (await snapshotTables(pool, [table], { ignoreLineage: true, ignore: ['built_at', 'refreshed_at'], where }))[
    table
  ] ?? [];

test('Segment messages through the mapping give the native warehouse, table for table', async () => {
  const n = await load(native, 'native');
  const s = await load(segment, 'segment');
  expect(
    s.files.every((file) => /^segment-logs\/DocsAppWeb1\/\d+\/\d+\.[0-9a-f]{12}\.gz$/.test(file.key)),
  ).toBe(true);
  expect(s.files).toHaveLength(n.files.length);
  expect(n.run.quality.filter((check) => !check.passed)).toEqual([]);
  expect(s.run.quality.filter((check) => !check.passed)).toEqual([]);

  // The Segment files hold more lines: an identify and a group per sign-up, a page or screen per login.
  const signups = n.summary.eventsByType.user_signed_up;
  const logins = n.summary.eventsByType.user_login;
  expect(s.run.staging).toMatchObject({
    staged: n.run.staging.staged,
    quarantined: 0,
    duplicates: 0,
    identityMessages: 2 * signups,
    unmapped: logins,
  });
  const unmapped = await segment.pool.query<{ message_type: string; event_name: string; row_count: string }>(
    'select message_type, event_name, row_count from ops.unmapped_events_by_name order by message_type',
  );
  expect(unmapped.rows.map((row) => [row.message_type, row.event_name])).toEqual([
    ['page', 'Home'],
    ['screen', 'Home'],
  ]);
  expect(unmapped.rows.reduce((sum, row) => sum + Number(row.row_count), 0)).toBe(logins);

  for (const table of [
    'staging.events',
    'core.fact_events',
    'core.fact_daily_user_activity',
    'core.fact_daily_user_features',
    'core.dim_users',
    'core.dim_documents',
    'core.dim_accounts',
    'core.fact_subscription_changes',
    'core.fact_customer_mrr_monthly',
    'analytics.daily_active_users',
    'analytics.user_retention_cohorts',
    'analytics.feature_adoption_funnel',
    'analytics.churn_risk_scores',
    'analytics.mrr_monthly',
    'analytics.daily_active_accounts',
  ]) {
    const [a, b] = await Promise.all([contents(native.pool, table), contents(segment.pool, table)]);
    expect({ table, empty: a.length === 0 }).toEqual({ table, empty: false });
    expect({ table, rows: b.length }).toEqual({ table, rows: a.length });
    expect(b).toEqual(a);
  }
  const identified = await segment.pool.query<{ email: string; plan: string }>(
    `select i.email, i.plan from staging.identity_messages as i where i.message_type = 'identify'`,
  );
  expect(identified.rows).toHaveLength(signups);
  expect(identified.rows.every((row) => row.email.includes('@') && row.plan !== null)).toBe(true);
}, 240_000);

test('with anonymous visitors switched on, the only differences are the anonymous persons', async () => {
  const v = await load(visited, 'segment', true);
  expect(v.run.quality.filter((check) => !check.passed)).toEqual([]);
  const signups = v.summary.eventsByType.user_signed_up;
  const anonymous = await visited.pool.query<{ persons: number; events: number }>(
    `select count(distinct user_id)::integer as persons, count(*)::integer as events
     from core.fact_events where person_source = 'anonymous'`,
  );
  // One visitor per sign-up, who never signs up; the users' own pricing-page views are unmapped.
  expect(anonymous.rows[0]).toEqual({ persons: signups, events: signups });

  const signedUp = 'user_id in (select user_id from core.dim_users)';
  for (const [table, where] of [
    ['core.fact_events', "person_source <> 'anonymous'"],
    ['core.fact_daily_user_activity', signedUp],
    ['core.dim_users', 'true'],
    ['core.dim_user_accounts', 'true'],
    ['core.fact_customer_mrr_monthly', 'true'],
    ['analytics.user_retention_cohorts', 'true'],
    ['analytics.churn_risk_scores', 'true'],
    ['analytics.mrr_monthly', 'true'],
    ['analytics.daily_active_accounts', 'true'],
  ] as const) {
    const [a, b] = await Promise.all([
      contents(native.pool, table, where),
      contents(visited.pool, table, where),
    ]);
    expect({ table, empty: a.length === 0 }).toEqual({ table, empty: false });
    expect(b).toEqual(a);
  }
  // DAU: the native figure plus the anonymous persons active that day, exactly.
  const dau = async (pool: Pool) =>
    Object.fromEntries(
      (await pool.query('select activity_date, dau from analytics.daily_active_users')).rows.map((row) => [
        row.activity_date,
        Number(row.dau),
      ]),
    );
  const anonymousByDay = Object.fromEntries(
    (
      await visited.pool.query(
        `select event_date, count(distinct user_id)::integer as n from core.fact_events
         where person_source = 'anonymous' group by event_date`,
      )
    ).rows.map((row) => [row.event_date, row.n]),
  );
  const [nativeDau, visitedDau] = await Promise.all([dau(native.pool), dau(visited.pool)]);
  expect(Object.keys(anonymousByDay).length).toBeGreaterThan(5);
  for (const [day, value] of Object.entries(visitedDau))
    expect({ day, dau: value }).toEqual({ day, dau: (nativeDau[day] ?? 0) + (anonymousByDay[day] ?? 0) });
}, 240_000);
