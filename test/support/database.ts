import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, type Pool } from '../../lambdas/warehouse/db';
import { migrate } from '../../lambdas/warehouse/migrate';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly pool: Pool;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url)
    throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the tests through jest (test/global-setup.mjs)');
  return url;
}

/** A fresh database on the test server, migrated unless told otherwise, for one test file. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const db = await openTestDatabase('');
  if (options.migrate !== false) await migrate(db.pool);
  return db;
}

/**
 * A copy of another test database, as it is (CREATE DATABASE ... TEMPLATE): much cheaper than building
 * the same warehouse again for every case. Nothing may be connected to the original while it is
 * copied, so end its pool first (its drop() still works).
 */
export async function copyTestDatabase(original: TestDatabase): Promise<TestDatabase> {
  return openTestDatabase(` template ${original.name}`);
}

async function openTestDatabase(createOptions: string): Promise<TestDatabase> {
  const name = `saas_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}${createOptions}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 6);
  return {
    name,
    url: url.toString(),
    pool,
    async drop() {
      if (!pool.ended && !pool.ending) await pool.end();
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** Table contents as JSON text, in a stable order, without the columns that record wall-clock times. */
export async function snapshotTables(
  pool: Pool,
  tables: readonly string[],
  /** `where`: only the rows this condition (SQL, on the table as `t`) holds for. */
  options: { ignoreLineage?: boolean; ignore?: readonly string[]; where?: string } = {},
): Promise<Record<string, unknown[]>> {
  const volatile = [
    'loaded_at',
    'staged_at',
    'quarantined_at',
    'set_at',
    'marked_at',
    'started_at',
    'checked_at',
    'published_at',
    'run_id',
  ];
  // File ids depend on load order; compare across databases without them.
  if (options.ignoreLineage) volatile.push('file_id', 'line_number', 'kept_file_id', 'kept_line_number');
  volatile.push(...(options.ignore ?? []));
  const snapshot: Record<string, unknown[]> = {};
  for (const table of tables) {
    const { rows } = await pool.query<{ rows: unknown[] | null }>(
      `select jsonb_agg(row_json order by row_json::text) as rows
       from (select to_jsonb(t) - $1::text[] as row_json from ${table} as t where ${options.where ?? 'true'}) as s`,
      [volatile],
    );
    snapshot[table] = rows[0]?.rows ?? [];
  }
  return snapshot;
}

export const CORE_AND_ANALYTICS_TABLES = [
  'core.dim_date',
  'core.dim_features',
  'core.dim_users',
  'core.dim_documents',
  'core.fact_events',
  'core.fact_daily_user_activity',
  'core.fact_daily_user_features',
  'core.dim_user_accounts',
  'core.dim_accounts',
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
  'analytics.account_retention_cohorts',
] as const;

export const WAREHOUSE_TABLES = [
  'staging.events',
  'staging.quarantine',
  'staging.duplicates',
  ...CORE_AND_ANALYTICS_TABLES,
] as const;

/** What readers get beyond the analytics views: the star schema at daily grain and the as-of date. */
export const PUBLISHED_TABLES = [
  'analytics.dim_date',
  'analytics.dim_features',
  'analytics.dim_users',
  'analytics.dim_documents',
  'analytics.fact_daily_user_activity',
  'analytics.fact_daily_user_features',
  'analytics.as_of',
] as const;

/** A relation's columns with their types, in order: `name type`. */
export async function columnsOf(pool: Pool, schema: string, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ col: string }>(
    `select a.attname || ' ' || format_type(a.atttypid, a.atttypmod) as col
     from pg_attribute as a
     where a.attrelid = format('%I.%I', $1::text, $2::text)::regclass and a.attnum > 0 and not a.attisdropped
     order by a.attnum`,
    [schema, table],
  );
  return rows.map((row) => row.col);
}
