import { createPool, type Pool } from '../../../lambdas/warehouse/db';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { createReaderPool } from '../../../dashboard/reader';
import { cohortFiles } from '../../support/cohort-fixture';
import { createTestDatabase, type TestDatabase } from '../../support/database';

// Each database role may do its job and nothing else. The statements below are what each must be
// refused: any that succeeds is a grant too many.

let db: TestDatabase;
const pools: Record<'loader' | 'transformer' | 'reader', Pool> = {} as never;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: cohortFiles(), asOf: '2024-03-15' });
  pools.loader = createPool(db.url, 2, { role: 'saas_loader' });
  pools.transformer = createPool(db.url, 2, { role: 'saas_transformer' });
  pools.reader = createReaderPool(db.url);
});
afterAll(async () => {
  await Promise.all(Object.values(pools).map((pool) => pool.end()));
  await db.drop();
});

/** Runs the statement in a transaction that is always rolled back: only whether it is allowed counts. */
async function attempt(pool: Pool, sql: string): Promise<'allowed' | string> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(sql);
    return 'allowed';
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  } finally {
    await client.query('rollback').catch(() => undefined);
    client.release();
  }
}

const REFUSED = '42501'; // insufficient_privilege

test.each([
  // loader: the ledger and raw rows, and its own step records
  [
    'loader',
    `insert into raw.files (bucket, object_key, etag, status) values ('b', 'k', 'e', 'loading')`,
    'allowed',
  ],
  ['loader', `insert into raw.events (file_id, line_number, payload) values (1, 1, '{}')`, 'allowed'],
  ['loader', `select count(*) from raw.files`, 'allowed'],
  ['loader', `select count(*) from raw.events`, REFUSED],
  ['loader', `delete from raw.events`, REFUSED],
  ['loader', `select count(*) from staging.events`, REFUSED],
  ['loader', `delete from core.fact_events`, REFUSED],
  ['loader', `select count(*) from analytics.daily_active_users`, REFUSED],
  ['loader', `update ops.runs set status = 'failed'`, REFUSED],
  ['loader', `create table raw.sneaky (x int)`, REFUSED],
  ['loader', `select ops.summarize_raw_events()`, REFUSED],
  // transformer: reads raw, writes staging, core, analytics and ops; owns nothing
  ['transformer', `select count(*) from raw.events`, 'allowed'],
  ['transformer', `update raw.files set staged_at = now()`, 'allowed'],
  ['transformer', `delete from core.fact_events where event_date = '2024-01-10'`, 'allowed'],
  ['transformer', `delete from analytics.daily_active_users`, 'allowed'],
  ['transformer', `select ops.refresh_build_view('daily_active_users')`, 'allowed'],
  ['transformer', `select ops.analyze_table('core.fact_events')`, 'allowed'],
  ['transformer', `select count(*) from core.price_list`, 'allowed'],
  ['transformer', `delete from core.price_list`, REFUSED], // only the migrator loads the seed
  ['transformer', `update ops.seeds set checksum = 'x'`, REFUSED],
  ['transformer', `insert into raw.events (file_id, line_number, payload) values (1, 1, '{}')`, REFUSED],
  ['transformer', `delete from raw.events`, REFUSED],
  ['transformer', `delete from raw.files`, REFUSED],
  // A view over raw.files can be written through with its owner's rights: the transformer only reads it.
  ['transformer', `delete from ops.rejected_files`, REFUSED],
  ['transformer', `select count(*) from ops.rejected_files`, 'allowed'],
  ['transformer', `refresh materialized view analytics_build.daily_active_users`, REFUSED],
  ['transformer', `drop table staging.events`, REFUSED],
  ['transformer', `create table core.sneaky (x int)`, REFUSED],
  [
    'transformer',
    `insert into ops.schema_migrations (version, name, checksum) values (999, 'x', 'x')`,
    REFUSED,
  ],
  ['transformer', `select ops.analyze_table('pg_catalog.pg_class')`, 'P0001'],
  // strict: null in, null out, and nothing analyzed (a bare ANALYZE would take the whole database)
  ['transformer', `select ops.analyze_table(null) is null or 1/0 = 1`, 'allowed'],
  // reader: the published analytics and the pipeline's health, read-only
  ['reader', `select count(*) from analytics.daily_active_users`, 'allowed'],
  ['reader', `select count(*) from analytics.dim_users`, 'allowed'],
  ['reader', `select user_id, plan, company, country from analytics.dim_users`, 'allowed'],
  // Personal data: the email and the name are the pipeline's, not BI's.
  ['reader', `select email from analytics.dim_users`, REFUSED],
  ['reader', `select full_name from analytics.dim_users`, REFUSED],
  ['reader', `select * from analytics.dim_users`, REFUSED],
  ['transformer', `select email, full_name from analytics.dim_users`, 'allowed'],
  ['reader', `select count(*) from ops.runs`, 'allowed'],
  ['reader', `select count(*) from ops.rejected_files`, 'allowed'],
  ['reader', `select count(*) from core.dim_users`, REFUSED],
  ['reader', `select count(*) from analytics_build.daily_active_users`, REFUSED],
  ['reader', `select count(*) from staging.events`, REFUSED],
  ['reader', `select count(*) from raw.files`, REFUSED],
  ['reader', `select count(*) from ops.analytics_as_of`, REFUSED],
  ['reader', `delete from analytics.daily_active_users`, '25006'], // read-only transaction
])('%s: %s -> %s', async (role, sql, expected) => {
  expect(await attempt(pools[role as keyof typeof pools], sql)).toBe(expected);
});

test('BI reads every column of the published analytics but the personal ones', async () => {
  const { rows } = await db.pool.query<{ column: string; readable: boolean }>(
    `select c.table_name || '.' || c.column_name as column,
       has_column_privilege('analytics_reader', format('%I.%I', c.table_schema, c.table_name), c.column_name, 'select') as readable
     from information_schema.columns as c
     inner join information_schema.tables as t using (table_schema, table_name)
     where c.table_schema = 'analytics' and t.table_type = 'BASE TABLE'
     order by 1`,
  );
  expect(rows.filter((row) => !row.readable).map((row) => row.column)).toEqual([
    'dim_users.email',
    'dim_users.full_name',
  ]);
  expect(rows.filter((row) => row.readable).length).toBeGreaterThan(100);
});

test('no column BI can read, in any schema, holds an email, a name, an IP address, a user agent or a raw line', async () => {
  const { rows } = await db.pool.query<{ column: string }>(
    `select c.table_schema || '.' || c.table_name || '.' || c.column_name as column
     from information_schema.columns as c
     where c.table_schema not in ('pg_catalog', 'information_schema')
       and c.column_name in ('email', 'full_name', 'name', 'ip_address', 'user_agent', 'payload', 'line', 'raw_line', 'traits',
         'sample')
       and has_column_privilege('analytics_reader', format('%I.%I', c.table_schema, c.table_name), c.column_name, 'select')
     order by 1`,
  );
  expect(rows).toEqual([]);
  // Where they are: the pipeline's layers, which BI cannot read at all.
  const held = await db.pool.query<{ n: number }>(
    `select count(*)::integer as n from information_schema.columns
     where table_schema in ('raw', 'staging', 'core') and column_name in ('email', 'full_name', 'ip_address', 'user_agent')`,
  );
  expect(held.rows[0]?.n).toBeGreaterThan(4);
});

test('the reader cannot write even outside a read-only transaction', async () => {
  const writer = createPool(db.url, 1, { role: 'analytics_reader' });
  try {
    expect(await attempt(writer, 'delete from analytics.daily_active_users')).toBe(REFUSED);
  } finally {
    await writer.end();
  }
});
