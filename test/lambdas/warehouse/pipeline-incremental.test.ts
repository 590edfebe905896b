import { refreshAnalyticsView, ANALYTICS_VIEWS } from '../../../lambdas/warehouse/analytics';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { QualityGateError } from '../../../lambdas/warehouse/quality';
import { finishRun, RunInProgressError, startRun } from '../../../lambdas/warehouse/runs';
import { CORE_MODELS } from '../../../lambdas/plan';
import { buildCoreModel } from '../../../lambdas/warehouse/core';
import { cohortFiles } from '../../support/cohort-fixture';
import {
  CORE_AND_ANALYTICS_TABLES,
  createTestDatabase,
  snapshotTables,
  type TestDatabase,
  WAREHOUSE_TABLES,
} from '../../support/database';

const AS_OF = '2024-03-15';
const LATE_DAYS = ['2024-01-22', '2024-02-05'];
const isLate = (key: string) => LATE_DAYS.some((day) => key.includes(`dt=${day}/`));

let oneRun: TestDatabase;
let expected: Record<string, unknown[]>;
beforeAll(async () => {
  oneRun = await createTestDatabase();
  await runWarehouse(oneRun.pool, { sources: cohortFiles(), asOf: AS_OF });
  expected = await snapshotTables(oneRun.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true });
});
afterAll(() => oneRun.drop());

test('late files for old days update those days: the result equals loading everything at once', async () => {
  const db = await createTestDatabase();
  try {
    await runWarehouse(db.pool, { sources: cohortFiles().filter((f) => !isLate(f.key)), asOf: AS_OF });
    const before = await db.pool.query(
      `select dau from analytics.daily_active_users where activity_date = '2024-01-22'`,
    );
    expect(before.rows[0].dau).toBe(0);

    const late = await runWarehouse(db.pool, {
      sources: cohortFiles().filter((f) => isLate(f.key)),
      asOf: AS_OF,
    });
    // Only the two late days are rebuilt, not the whole history.
    expect(late.models.find((m) => m.model === 'fact_events')).toMatchObject({ dates: 2 });
    const after = await db.pool.query(
      `select dau from analytics.daily_active_users where activity_date = '2024-01-22'`,
    );
    expect(after.rows[0].dau).toBe(1);
    expect(await snapshotTables(db.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true })).toEqual(
      expected,
    );
  } finally {
    await db.drop();
  }
});

test('one run per day gives the same warehouse as one run for all days', async () => {
  const db = await createTestDatabase();
  try {
    for (const file of cohortFiles()) await runWarehouse(db.pool, { sources: [file], asOf: AS_OF });
    expect(await snapshotTables(db.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true })).toEqual(
      expected,
    );
  } finally {
    await db.drop();
  }
});

test('re-running a whole run, files included, and then every step on its own, leaves identical tables', async () => {
  const before = await snapshotTables(oneRun.pool, WAREHOUSE_TABLES);
  const again = await runWarehouse(oneRun.pool, { sources: cohortFiles(), asOf: AS_OF });
  expect(again.files.every((file) => file.status === 'skipped')).toBe(true);
  expect(again.staging.staged).toBe(0);
  expect(await snapshotTables(oneRun.pool, WAREHOUSE_TABLES)).toEqual(before);

  // Every core model rebuilt for every date, twice, then every view refreshed again.
  await oneRun.pool.query(
    'insert into ops.pending_dates (event_date) select distinct event_date from staging.events',
  );
  for (let round = 0; round < 2; round++) {
    for (const model of CORE_MODELS) await buildCoreModel(oneRun.pool, model);
  }
  for (const view of ANALYTICS_VIEWS) await refreshAnalyticsView(oneRun.pool, view);
  expect(await snapshotTables(oneRun.pool, WAREHOUSE_TABLES)).toEqual(before);
  await oneRun.pool.query('delete from ops.pending_dates');
});

test('an error-level quality failure fails the run, keeps its dates pending, and a later run completes them', async () => {
  const db = await createTestDatabase();
  try {
    await runWarehouse(db.pool, { sources: cohortFiles().filter((f) => !isLate(f.key)), asOf: AS_OF });
    // A gap in the version numbers of a user the next run does not touch: only the gate can notice.
    await db.pool.query(`update core.dim_users set version_number = 5 where user_id = 'u4'`);

    const failure = runWarehouse(db.pool, {
      sources: cohortFiles().filter((f) => isLate(f.key)),
      asOf: AS_OF,
      runId: 'run-gate',
    });
    await expect(failure).rejects.toThrow(QualityGateError);
    const run = await db.pool.query(`select status, error from ops.runs where run_id = 'run-gate'`);
    expect(run.rows[0].status).toBe('failed');
    expect(run.rows[0].error).toMatch(/dim_users_versions_well_formed/);
    const results = await db.pool.query(
      `select passed, failing_rows from ops.quality_results where run_id = 'run-gate' and check_name = 'dim_users_versions_well_formed'`,
    );
    expect(results.rows[0]).toEqual({ passed: false, failing_rows: 1 });
    const pending = await db.pool.query('select event_date from ops.pending_dates order by 1');
    expect(pending.rows.map((r) => r.event_date)).toEqual(LATE_DAYS);

    await db.pool.query(`update core.dim_users set version_number = 1 where user_id = 'u4'`);
    const fixed = await runWarehouse(db.pool, { asOf: AS_OF });
    expect(fixed.models.find((m) => m.model === 'fact_events')).toMatchObject({ dates: 2 });
    expect((await db.pool.query('select count(*)::integer as n from ops.pending_dates')).rows[0].n).toBe(0);
    expect(await snapshotTables(db.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true })).toEqual(
      expected,
    );
  } finally {
    await db.drop();
  }
});

test('a second run cannot start while one is running', async () => {
  const runId = await startRun(oneRun.pool, { runId: 'run-holding' });
  await expect(runWarehouse(oneRun.pool)).rejects.toThrow(RunInProgressError);
  await expect(runWarehouse(oneRun.pool)).rejects.toThrow(/run-holding is still running/);
  await finishRun(oneRun.pool, runId, { status: 'succeeded' });
  await expect(runWarehouse(oneRun.pool, { asOf: AS_OF })).resolves.toMatchObject({ asOf: AS_OF });
});

test('a run that died without recording its end stops blocking new runs once it is abandoned', async () => {
  await oneRun.pool.query(
    `insert into ops.runs (run_id, status, started_at) values ('run-died', 'running', now() - interval '4 hours')`,
  );
  const next = await runWarehouse(oneRun.pool, { asOf: AS_OF });
  expect(next.asOf).toBe(AS_OF);
  const died = await oneRun.pool.query(`select status, error from ops.runs where run_id = 'run-died'`);
  expect(died.rows[0].status).toBe('abandoned');
  expect(died.rows[0].error).toMatch(/^abandoned: still running after 180 minutes/);
});
