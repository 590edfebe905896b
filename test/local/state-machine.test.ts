import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { RUN_LIMITS } from '../../lambdas/handlers/list-new-files';
import { TransientError } from '../../lambdas/handlers/step';
import { createLocalHandlers } from '../../local/handlers';
import {
  executeStateMachine,
  renderStateMachine,
  type RenderedStateMachine,
} from '../../local/state-machine';
import type { StepHandler } from '../../lambdas/plan';
import { cohortFiles } from '../support/cohort-fixture';
import { fileOf, ndjsonSource } from '../support/events';
import {
  CORE_AND_ANALYTICS_TABLES,
  createTestDatabase,
  snapshotTables,
  type TestDatabase,
} from '../support/database';
import { startTestS3, type TestS3 } from '../support/s3';

// The real state machine, rendered from the CDK app and executed by aws-local-stepfunctions, with
// the Lambda handlers running in-process against a real PostgreSQL and a real S3 API server.
let rendered: RenderedStateMachine;
let s3: TestS3;
beforeAll(async () => {
  rendered = renderStateMachine();
  s3 = await startTestS3(['landing']);
  for (const file of cohortFiles()) await s3.put(file);
});
afterAll(() => s3.close());

type Handlers = ReturnType<typeof createLocalHandlers>;

function handlersFor(
  db: TestDatabase,
  wrap: Partial<Record<StepHandler, (inner: Handlers[StepHandler]) => Handlers[StepHandler]>> = {},
): Handlers {
  const handlers = createLocalHandlers({
    pool: async () => db.pool,
    s3: () => s3.client,
    landing: { bucket: 'landing', prefixes: ['events/', 'segment-logs/'] },
  });
  for (const [name, wrapper] of Object.entries(wrap))
    handlers[name as StepHandler] = wrapper(handlers[name as StepHandler]);
  return handlers;
}

const run = (
  db: TestDatabase,
  executionName: string,
  handlers = handlersFor(db),
  input = { asOf: '2024-03-15' },
) => executeStateMachine(rendered, { input, executionName, handlers, retryIntervalSeconds: 0 });

test('every Task of the deployed definition has a local handler, with a timeout and a retry on transient errors', () => {
  expect(Object.keys(rendered.taskHandlers)).toEqual(
    expect.arrayContaining(['Start run', 'Load file', 'Stage events', 'Finish run', 'Record failure']),
  );
  const json = JSON.stringify(rendered.definition);
  expect(json).toContain('"MaxConcurrency":2');
  expect(json).toContain('TransientError');
});

describe('on a fresh warehouse', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  test('a run loads every file and builds the same warehouse as the in-process pipeline', async () => {
    const events: string[] = [];
    const result = await executeStateMachine(rendered, {
      input: { asOf: '2024-03-15' },
      executionName: 'run-happy',
      handlers: handlersFor(db),
      onEvent: (event) => events.push(event.type),
    });
    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    expect(events.filter((type) => type === 'MapIterationSucceeded')).toHaveLength(cohortFiles().length);
    const run = await db.pool.query(`select status, as_of_date from ops.runs where run_id = 'run-happy'`);
    expect(run.rows).toEqual([{ status: 'succeeded', as_of_date: '2024-03-15' }]);
    const steps = await db.pool.query(
      `select count(*)::integer as n from ops.run_steps where run_id = 'run-happy' and status = 'succeeded'`,
    );
    expect(steps.rows[0].n).toBeGreaterThan(20);

    const reference = await createTestDatabase();
    try {
      const { runWarehouse } = await import('../../lambdas/warehouse/pipeline');
      await runWarehouse(reference.pool, { sources: cohortFiles(), asOf: '2024-03-15' });
      expect(await snapshotTables(db.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true })).toEqual(
        await snapshotTables(reference.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true }),
      );
    } finally {
      await reference.drop();
    }
  });

  test('a second run finds nothing new and changes nothing: it goes from staging to Finish run', async () => {
    const before = await snapshotTables(db.pool, CORE_AND_ANALYTICS_TABLES);
    const entered: string[] = [];
    const result = await executeStateMachine(rendered, {
      input: { asOf: '2024-03-15' },
      executionName: 'run-again',
      handlers: handlersFor(db),
      onEvent: (event) => {
        if (event.type === 'StateEntered' && 'state' in event) entered.push(event.state.name);
      },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { files: { loaded: number } }).files.loaded).toBe(0);
    expect(entered).toEqual([
      'Start run',
      'Erase requested people',
      'List new files',
      'Load files',
      'Files loaded',
      'Stage events',
      'More to stage?',
      'Already published',
      'Finish run',
    ]);
    expect(await snapshotTables(db.pool, CORE_AND_ANALYTICS_TABLES)).toEqual(before);
    expect(await stepsOf('run-again')).toEqual(['list_new_files', 'stage_events']);
    const { rows } = await db.pool.query(
      `select status, as_of_date from ops.runs where run_id = 'run-again'`,
    );
    expect(rows).toEqual([{ status: 'succeeded', as_of_date: '2024-03-15' }]);
  });

  test('two runs started at once: one runs, the other stops at its start and leaves the first alone', async () => {
    const results = await Promise.all([run(db, 'run-a'), run(db, 'run-b')]);
    expect(results.map((r) => r.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    expect(results.find((r) => r.status === 'FAILED')?.error).toBe('RunInProgressError');
    const runs = await db.pool.query(
      `select run_id, status from ops.runs where run_id in ('run-a', 'run-b')`,
    );
    expect(runs.rows).toHaveLength(1);
    expect(runs.rows[0].status).toBe('succeeded');
  });

  test('with nothing new, another as-of date, or a view applied since the publication, still refreshes and publishes', async () => {
    const published = () =>
      db.pool.query(`select as_of_date, run_id from analytics.as_of`).then((r) => r.rows[0]);
    await run(db, 'run-other-date', handlersFor(db), { asOf: '2024-03-10' });
    expect(await stepsOf('run-other-date')).toEqual(
      expect.arrayContaining(['refresh_daily_active_users', 'publish']),
    );
    expect(await published()).toEqual({ as_of_date: '2024-03-10', run_id: 'run-other-date' });
    await run(db, 'run-same-date', handlersFor(db), { asOf: '2024-03-10' });
    expect(await stepsOf('run-same-date')).not.toContain('publish');
    // As the migrator records a view it applied again (its rows are gone until the next refresh).
    await db.pool.query(
      `update ops.schema_models set applied_at = clock_timestamp() where name = 'analytics/daily_active_users'`,
    );
    await run(db, 'run-after-model', handlersFor(db), { asOf: '2024-03-10' });
    expect(await stepsOf('run-after-model')).toEqual(
      expect.arrayContaining(['refresh_daily_active_users', 'publish']),
    );
    expect(await published()).toEqual({ as_of_date: '2024-03-10', run_id: 'run-after-model' });
  });

  test('a run that stages a file of bad lines only still checks it, though no date changes', async () => {
    await s3.put(ndjsonSource('events/dt=2024-03-20/part-bad.ndjson.gz', ['not json', '{"event_id": 1']));
    const result = await run(db, 'run-bad-lines', handlersFor(db), { asOf: '2024-03-10' });
    expect(result.status).toBe('SUCCEEDED');
    expect(await stepsOf('run-bad-lines')).toEqual(expect.arrayContaining(['quality_gate_core', 'publish']));
  });

  const stepsOf = (runId: string) =>
    db.pool
      .query<{ step_name: string }>(
        `select step_name from ops.run_steps where run_id = $1 order by step_name`,
        [runId],
      )
      .then((r) => r.rows.map((row) => row.step_name));
});

test('a step that fails once with a transient error is retried and the run succeeds', async () => {
  const db = await createTestDatabase();
  try {
    let calls = 0;
    const flaky = handlersFor(db, {
      'stage-events': (inner) => async (input) => {
        if (++calls === 1) throw new TransientError(new Error('Connection terminated unexpectedly'));
        return inner(input);
      },
    });
    const result = await run(db, 'run-flaky', flaky);
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
  } finally {
    await db.drop();
  }
});

test('a step that fails for good leaves the run failed with its cause; the next run completes the work', async () => {
  const db = await createTestDatabase();
  try {
    const broken = handlersFor(db, {
      'refresh-view': () => async () => {
        throw new Error('permission denied for materialized view churn_risk_scores');
      },
    });
    const failed = await run(db, 'run-broken', broken);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Error' });
    const record = await db.pool.query(`select status, error from ops.runs where run_id = 'run-broken'`);
    expect(record.rows[0].status).toBe('failed');
    expect(record.rows[0].error).toMatch(/permission denied for materialized view/);
    const pending = await db.pool.query('select count(*)::integer as n from ops.pending_dates');
    expect(pending.rows[0].n).toBeGreaterThan(0);

    const fixed = await run(db, 'run-fixed');
    expect(fixed.status).toBe('SUCCEEDED');
    expect((await db.pool.query('select count(*)::integer as n from ops.pending_dates')).rows[0].n).toBe(0);
    const churn = await db.pool.query('select count(*)::integer as n from analytics.churn_risk_scores');
    expect(churn.rows[0].n).toBe(4);
  } finally {
    await db.drop();
  }
});

describe('a backlog', () => {
  // Small limits, as a long backlog would meet the real ones: three files a round, seven a run.
  const saved = { ...RUN_LIMITS };
  let db: TestDatabase;
  let backlog: TestS3;
  beforeAll(async () => {
    Object.assign(RUN_LIMITS, { files: 3, filesPerRun: 7 });
    db = await createTestDatabase();
    backlog = await startTestS3(['landing']);
    // The cohort fixture's days, then three more days, each a file: 13 files in all.
    for (const file of cohortFiles()) await backlog.put(file);
    for (const day of ['2024-03-16', '2024-03-17', '2024-03-18'])
      await backlog.put(
        fileOf(`events/dt=${day}/part-0000.ndjson.gz`, [
          { id: `late-${day}`, type: 'user_login', at: `${day}T09:00:00Z`, user: 'u3' },
        ]),
      );
  });
  afterAll(async () => {
    Object.assign(RUN_LIMITS, saved);
    await Promise.all([db.drop(), backlog.close()]);
  });
  const backlogRun = (executionName: string, entered: string[]) =>
    executeStateMachine(rendered, {
      input: { asOf: '2024-03-18' },
      executionName,
      handlers: createLocalHandlers({
        pool: async () => db.pool,
        s3: () => backlog.client,
        landing: { bucket: 'landing', prefixes: ['events/', 'segment-logs/'] },
      }),
      retryIntervalSeconds: 0,
      onEvent: (event) => {
        if (event.type === 'StateEntered' && 'state' in event) entered.push(event.state.name);
      },
    });
  const loadedFiles = async () =>
    (await db.pool.query(`select count(*)::integer as n from raw.files where status = 'staged'`)).rows[0].n;

  test('one run goes round (list, load, stage) while files are left, up to its bound, and says how many it left', async () => {
    const total = (await backlog.client.send(new ListObjectsV2Command({ Bucket: 'landing' }))).KeyCount;
    expect(total).toBe(cohortFiles().length + 3);
    const entered: string[] = [];
    const first = await backlogRun('backlog-1', entered);
    expect(first.status).toBe('SUCCEEDED');
    // 3 + 3 + 1: the run's bound of 7 ends the third round.
    expect(entered.filter((state) => state === 'List new files')).toHaveLength(3);
    expect(await loadedFiles()).toBe(7);
    expect((first.output as { files: unknown }).files).toMatchObject({
      loaded: 1,
      left: (total ?? 0) - 7,
      more: false,
    });
    // Staged and published once, after the last round.
    expect(entered.filter((state) => state === 'Publish analytics')).toHaveLength(1);

    const second = await backlogRun('backlog-2', []);
    expect(second.status).toBe('SUCCEEDED');
    expect(await loadedFiles()).toBe(total);
    expect((second.output as { files: unknown }).files).toMatchObject({ left: 0, more: false });
    // What one run over every file would have built.
    const reference = await createTestDatabase();
    try {
      const { runWarehouse } = await import('../../lambdas/warehouse/pipeline');
      const late = ['2024-03-16', '2024-03-17', '2024-03-18'].map((day) =>
        fileOf(`events/dt=${day}/part-0000.ndjson.gz`, [
          { id: `late-${day}`, type: 'user_login', at: `${day}T09:00:00Z`, user: 'u3' },
        ]),
      );
      await runWarehouse(reference.pool, { sources: [...cohortFiles(), ...late], asOf: '2024-03-18' });
      expect(await snapshotTables(db.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true })).toEqual(
        await snapshotTables(reference.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true }),
      );
    } finally {
      await reference.drop();
    }
  });
});
