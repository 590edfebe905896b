import { createPool, type Pool } from '../../lambdas/warehouse/db';
import { createReaderPool } from '../../dashboard/reader';
import { createLocalHandlers } from '../../local/handlers';
import {
  executeStateMachine,
  renderStateMachine,
  type RenderedStateMachine,
} from '../../local/state-machine';
import type { StepHandler } from '../../lambdas/plan';
import { cohortFiles } from '../support/cohort-fixture';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { fileOf } from '../support/events';
import { startTestS3, type TestS3 } from '../support/s3';

// Readers see only what passed the gate. The state machine runs as in AWS: each step as its role
// (saas_loader, saas_transformer); what a BI login sees is read as analytics_reader.

let rendered: RenderedStateMachine;
let s3: TestS3;
let db: TestDatabase;
let loader: Pool;
let transformer: Pool;
let reader: Pool;
beforeAll(async () => {
  rendered = renderStateMachine();
  s3 = await startTestS3(['landing']);
  db = await createTestDatabase();
  loader = createPool(db.url, 3, { role: 'saas_loader' });
  transformer = createPool(db.url, 4, { role: 'saas_transformer' });
  reader = createReaderPool(db.url);
  for (const file of cohortFiles()) await s3.put(file);
});
afterAll(async () => {
  await Promise.all([loader.end(), transformer.end(), reader.end()]);
  await db.drop();
  await s3.close();
});

type Handlers = ReturnType<typeof createLocalHandlers>;

function handlers(
  wrap: Partial<Record<StepHandler, (inner: Handlers[StepHandler]) => Handlers[StepHandler]>> = {},
) {
  const deps = (pool: Pool) => ({
    pool: async () => pool,
    s3: () => s3.client,
    landing: { bucket: 'landing', prefixes: ['events/', 'segment-logs/'] },
  });
  const all = createLocalHandlers(deps(transformer), deps(loader));
  for (const [name, wrapper] of Object.entries(wrap))
    all[name as StepHandler] = wrapper(all[name as StepHandler]);
  return all;
}

const run = (executionName: string, asOf: string, wrapped = handlers()) =>
  executeStateMachine(rendered, {
    input: { asOf },
    executionName,
    handlers: wrapped,
    retryIntervalSeconds: 0,
  });

/** Everything a reader can read, as text: every table of the analytics schema, and the health views. */
async function whatReadersSee(): Promise<string> {
  const { rows: tables } = await reader.query<{ name: string }>(
    `select table_schema || '.' || table_name as name from information_schema.tables
     where table_schema = 'analytics' order by 1`,
  );
  expect(tables.length).toBeGreaterThanOrEqual(11);
  const parts: string[] = [];
  for (const { name } of tables) {
    // The columns it may read: the personal ones of analytics.dim_users are withheld.
    const { rows: columns } = await reader.query<{ list: string }>(
      `select string_agg(quote_ident(column_name), ', ' order by ordinal_position) as list
       from information_schema.columns
       where table_schema || '.' || table_name = $1
         and has_column_privilege(current_user, $1, column_name, 'select')`,
      [name],
    );
    const { rows } = await reader.query<{ rows: string | null }>(
      `select string_agg(t::text, E'\\n' order by t::text) as rows
       from (select ${columns[0]?.list ?? ''} from ${name}) as t`,
    );
    parts.push(`${name}\n${rows[0]?.rows ?? ''}`);
  }
  return parts.join('\n\n');
}

test('readers see nothing of a fresh warehouse; its first run publishes, as of its date', async () => {
  expect(await whatReadersSee()).not.toMatch(/2024-0[1-3]/);
  const result = await run('run-first', '2024-03-15');
  expect(result.status).toBe('SUCCEEDED');
  const asOf = await reader.query('select as_of_date, run_id from analytics.as_of');
  expect(asOf.rows).toEqual([{ as_of_date: '2024-03-15', run_id: 'run-first' }]);
  const dau = await reader.query('select count(*)::integer as n from analytics.daily_active_users');
  expect(dau.rows[0].n).toBeGreaterThan(60);
});

test('a run that fails a quality check leaves what readers see byte for byte, as-of date included', async () => {
  const before = await whatReadersSee();
  await s3.put(
    fileOf('events/dt=2024-03-20/late.ndjson.gz', [
      { id: 'late-1', type: 'user_login', at: '2024-03-20T09:00:00Z', user: 'u3' },
    ]),
  );
  // A gap in a user's version numbers that only the gate notices.
  await db.pool.query(`update core.dim_users set version_number = 5 where user_id = 'u4'`);
  const failed = await run('run-gate-fails', '2024-03-20');
  expect(failed).toMatchObject({ status: 'FAILED', error: 'QualityGateError' });
  expect(await whatReadersSee()).toBe(before);
  // The builders did move on: the pipeline's core has the new event, readers do not.
  const built = await db.pool.query(
    `select count(*)::integer as n from core.fact_events where event_id = 'late-1'`,
  );
  expect(built.rows[0].n).toBe(1);
  await db.pool.query(`update core.dim_users set version_number = 1 where user_id = 'u4'`);
});

test('a run whose refresh fails leaves what readers see byte for byte; the next run publishes', async () => {
  const before = await whatReadersSee();
  const broken = handlers({
    'refresh-view': (inner) => async (input) => {
      if ((input as { view: string }).view === 'churn_risk_scores')
        throw new Error('could not refresh (simulated)');
      return inner(input);
    },
  });
  const failed = await run('run-refresh-fails', '2024-03-20', broken);
  expect(failed.status).toBe('FAILED');
  expect(await whatReadersSee()).toBe(before);

  const fixed = await run('run-fixed', '2024-03-20');
  expect(fixed).toMatchObject({ status: 'SUCCEEDED' });
  const after = await whatReadersSee();
  expect(after).not.toBe(before);
  const asOf = await reader.query('select as_of_date, run_id from analytics.as_of');
  expect(asOf.rows).toEqual([{ as_of_date: '2024-03-20', run_id: 'run-fixed' }]);
  // What readers see equals what was built and checked.
  const published = await reader.query(
    `select count(*)::integer as n from analytics.daily_active_users where activity_date = '2024-03-20'`,
  );
  expect(published.rows[0].n).toBe(1);
});
