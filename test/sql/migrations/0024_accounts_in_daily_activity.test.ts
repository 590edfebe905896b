import { readSql } from '../../../lambdas/warehouse/sql-files';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { createTestDatabase, snapshotTables, type TestDatabase } from '../../support/database';
import { REVENUE_AS_OF, revenueFiles } from '../../support/revenue-fixture';

// Migration 0024 on a warehouse that holds data: it carries each user-day's account from the table it
// drops (core.fact_daily_user_accounts) into the daily activity, core and published, and each event's
// account from staging into core.fact_events. The warehouse before it is made from one built today:
// its account columns taken back out, the old table made again from them.

const TABLES = ['core.fact_events', 'core.fact_daily_user_activity', 'analytics.fact_daily_user_activity'];

let db: TestDatabase;
afterAll(() => db?.drop());

test('an upgraded warehouse ends with the account columns a fresh build gives', async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: revenueFiles(), asOf: REVENUE_AS_OF });
  const built = await snapshotTables(db.pool, TABLES, { ignoreLineage: true });
  const { rows } = await db.pool.query<{ n: number }>(
    'select count(*)::integer as n from core.fact_daily_user_activity where account_id is not null',
  );
  // The fixture's user-days that name an account, and its one user (hank) who never does.
  expect(rows[0]?.n).toBeGreaterThan(10);

  await db.pool.query(`
    create table core.fact_daily_user_accounts (
      user_id text collate "C" not null,
      activity_date date not null,
      account_id text collate "C" not null,
      account_event_at timestamptz not null,
      account_event_id text collate "C" not null,
      primary key (user_id, activity_date)
    );
    insert into core.fact_daily_user_accounts
    select user_id, activity_date, account_id, account_event_at, account_event_id
    from core.fact_daily_user_activity where account_id is not null;
    alter table core.fact_events drop column account_id;
    alter table core.fact_daily_user_activity
      drop constraint fact_daily_user_activity_account_check,
      drop column account_id, drop column account_event_at, drop column account_event_id;
    alter table analytics.fact_daily_user_activity
      drop column account_id, drop column account_event_at, drop column account_event_id;
  `);
  await db.pool.query(readSql('migrations/0024_accounts_in_daily_activity.sql'));

  expect(await snapshotTables(db.pool, TABLES, { ignoreLineage: true })).toEqual(built);
  const { rows: left } = await db.pool.query(`select to_regclass('core.fact_daily_user_accounts') as t`);
  expect(left[0]?.t).toBeNull();
});
