import pg from 'pg';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { runSqlFile } from '../../../lambdas/warehouse/sql-files';
import {
  CORE_AND_ANALYTICS_TABLES,
  createTestDatabase,
  snapshotTables,
  type TestDatabase,
} from '../../support/database';
import { type FixtureEvent, fileOf } from '../../support/events';

// Inputs that once could fail a run for good or make the result depend on load order.
const EVENTS: FixtureEvent[] = [
  // A subscription recorded a few seconds before the sign-up that should precede it.
  {
    id: 's1',
    type: 'subscription_started',
    at: '2024-05-01T10:00:00Z',
    user: 'early',
    properties: { plan: 'Pro', billing_cycle: 'annual' },
  },
  {
    id: 's2',
    type: 'user_signed_up',
    at: '2024-05-01T10:00:05Z',
    user: 'early',
    properties: { plan: 'free' },
  },
  // A feature id on an event that is not feature_used, never seen in the catalogue.
  {
    id: 'f1',
    type: 'document_edited',
    at: '2024-05-02T09:00:00Z',
    user: 'early',
    properties: { document_id: 'd1', feature_id: 'ai_assist' },
  },
  // Two uses of that feature on different days that name it differently.
  {
    id: 'f2',
    type: 'feature_used',
    at: '2024-05-03T09:00:00Z',
    user: 'early',
    properties: { feature_id: 'ai_assist', feature_name: 'AI Assistant' },
  },
  {
    id: 'f3',
    type: 'feature_used',
    at: '2024-05-04T09:00:00Z',
    user: 'early',
    properties: { feature_id: 'ai_assist', feature_name: 'AI assist (beta)' },
  },
  // Durations whose daily sum does not fit a 32-bit integer.
  {
    id: 'd1',
    type: 'feature_used',
    at: '2024-05-04T10:00:00Z',
    user: 'early',
    properties: { feature_id: 'comments', duration_sec: 2000000000 },
  },
  {
    id: 'd2',
    type: 'feature_used',
    at: '2024-05-04T11:00:00Z',
    user: 'early',
    properties: { feature_id: 'comments', duration_sec: 2000000000 },
  },
];

function dayFiles(): ReturnType<typeof fileOf>[] {
  const days = [...new Set(EVENTS.map((e) => e.at.slice(0, 10)))];
  return days.map((day) =>
    fileOf(
      `events/dt=${day}/part-0000.ndjson.gz`,
      EVENTS.filter((e) => e.at.startsWith(day)),
    ),
  );
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: dayFiles() });
});
afterAll(() => db.drop());

test('a subscription just before the sign-up still sets the current plan, and every event falls in a version', async () => {
  const { rows } = await db.pool
    .query(`select version_number, valid_from, plan, billing_cycle, signup_at, is_current
    from core.dim_users where user_id = 'early' order by version_number`);
  expect(rows).toEqual([
    {
      version_number: 1,
      valid_from: new Date('2024-05-01T10:00:00Z'),
      plan: 'pro',
      billing_cycle: 'annual',
      signup_at: new Date('2024-05-01T10:00:05Z'),
      is_current: true,
    },
  ]);
});

test('a feature id on any event type joins dim_features, named the same whatever the load order', async () => {
  const { rows } = await db.pool.query(
    `select feature_name, is_catalogued from core.dim_features where feature_id = 'ai_assist'`,
  );
  expect(rows).toEqual([{ feature_name: 'AI Assistant', is_catalogued: false }]);
  const quality = await db.pool.query(
    `select bool_and(passed) as passed from ops.quality_results where severity = 'error'`,
  );
  expect(quality.rows[0].passed).toBe(true);

  const reversed = await createTestDatabase();
  try {
    for (const file of dayFiles().reverse()) await runWarehouse(reversed.pool, { sources: [file] });
    await runWarehouse(reversed.pool, { asOf: '2024-05-04' });
    expect(await snapshotTables(reversed.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true })).toEqual(
      await snapshotTables(db.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true }),
    );
  } finally {
    await reversed.drop();
  }
});

test('daily sums of large durations do not overflow', async () => {
  const { rows } = await db.pool.query(
    `select feature_seconds::text from core.fact_daily_user_activity where activity_date = '2024-05-04'`,
  );
  expect(rows).toEqual([{ feature_seconds: '4000000000' }]);
});

test('the calendar has every day even in a session whose time zone skips midnight for DST', async () => {
  // Chile moved its clocks from 00:00 to 01:00 on 2024-09-08.
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`set timezone = 'America/Santiago'`);
    await runSqlFile(client, 'steps/core/dim_date.sql', { dates: ['2024-09-05', '2024-09-11'] });
    const { rows } = await client.query(
      `select count(*)::integer as days from core.dim_date where calendar_date between '2024-09-05' and '2024-09-11'`,
    );
    expect(rows[0].days).toBe(7);
  } finally {
    await client.end();
  }
});
