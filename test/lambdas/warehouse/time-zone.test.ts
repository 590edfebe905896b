import type { Pool } from '../../../lambdas/warehouse/db';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { changeTimeZone, parseTimeZone, TimeZoneMismatchError } from '../../../lambdas/warehouse/time-zone';
import { cohortFiles } from '../../support/cohort-fixture';
import {
  CORE_AND_ANALYTICS_TABLES,
  createTestDatabase,
  PUBLISHED_TABLES,
  snapshotTables,
  type TestDatabase,
} from '../../support/database';
import type { FixtureEvent } from '../../support/events';

// The same events in three reporting time zones, worked out by hand (docs/metrics.md, "Days, weeks
// and months"). Europe/Berlin moves from CET (+1) to CEST (+2) at 01:00 UTC on Sunday 2024-03-31, a
// day of 23 hours; Asia/Tokyo is +9 all year. ISO week 13 is Mar 25-31, week 14 starts Mon Apr 1.
//
//   instant (UTC)       UTC day   Berlin day        Tokyo day
//   u1 signs up  Mar 28 16:00     Mar 28   Mar 28 17:00      Mar 29 01:00
//   u1           Mar 29 10:00     Mar 29   Mar 29            Mar 29
//   u1           Mar 30 23:30     Mar 30   Mar 31 00:30 CET  Mar 31
//   u1           Mar 31 22:30     Mar 31   Apr 1 00:30 CEST  Apr 1     (with +1 all year: Mar 31)
//   u2 signs up  Mar 31 21:30     Mar 31   Mar 31 23:30      Apr 1
//   u2           Apr 1 15:30      Apr 1    Apr 1             Apr 2 00:30
const AS_OF = '2024-04-02';
const event = (id: string, at: string, user: string, type = 'feature_used'): FixtureEvent => ({
  id,
  type,
  at,
  user,
  properties:
    type === 'user_signed_up'
      ? { plan: 'free', email: `${user}@example.com` }
      : { feature_id: 'templates', feature_name: 'Templates', duration_sec: 5 },
});
const EVENTS = [
  event('u1-signup', '2024-03-28T16:00:00Z', 'u1', 'user_signed_up'),
  event('u1-a', '2024-03-29T10:00:00Z', 'u1'),
  event('u1-b', '2024-03-30T23:30:00Z', 'u1'),
  event('u1-c', '2024-03-31T22:30:00Z', 'u1'),
  event('u2-signup', '2024-03-31T21:30:00Z', 'u2', 'user_signed_up'),
  event('u2-a', '2024-04-01T15:30:00Z', 'u2'),
];

const databases: Record<string, TestDatabase> = {};
beforeAll(async () => {
  for (const zone of ['UTC', 'Europe/Berlin', 'Asia/Tokyo']) {
    const db = await createTestDatabase();
    databases[zone] = db;
    await runWarehouse(db.pool, { sources: cohortFiles(EVENTS), asOf: AS_OF, timeZone: zone });
  }
}, 60_000);
afterAll(() => Promise.all(Object.values(databases).map((db) => db.drop())));

const pool = (zone: string): Pool => (databases[zone] as TestDatabase).pool;
const rows = async (zone: string, sql: string) => (await pool(zone).query(sql)).rows;

test('event dates and signup dates are the days of the zone, daylight saving included', async () => {
  const dates = async (zone: string) =>
    Object.fromEntries(
      (await rows(zone, `select event_id, event_date from core.fact_events order by event_id`)).map((row) => [
        row.event_id,
        row.event_date,
      ]),
    );
  expect(await dates('UTC')).toEqual({
    'u1-signup': '2024-03-28',
    'u1-a': '2024-03-29',
    'u1-b': '2024-03-30',
    'u1-c': '2024-03-31',
    'u2-signup': '2024-03-31',
    'u2-a': '2024-04-01',
  });
  expect(await dates('Europe/Berlin')).toEqual({
    'u1-signup': '2024-03-28',
    'u1-a': '2024-03-29',
    'u1-b': '2024-03-31',
    // 22:30 UTC is 00:30 CEST: the 23-hour day of Mar 31 ended at 22:00 UTC.
    'u1-c': '2024-04-01',
    'u2-signup': '2024-03-31',
    'u2-a': '2024-04-01',
  });
  expect(await dates('Asia/Tokyo')).toEqual({
    'u1-signup': '2024-03-29',
    'u1-a': '2024-03-29',
    'u1-b': '2024-03-31',
    'u1-c': '2024-04-01',
    'u2-signup': '2024-04-01',
    'u2-a': '2024-04-02',
  });
  const signups = async (zone: string) =>
    (await rows(zone, `select user_id, signup_date from analytics.dim_users order by user_id`)).map(
      (row) => `${row.user_id} ${row.signup_date}`,
    );
  expect(await signups('UTC')).toEqual(['u1 2024-03-28', 'u2 2024-03-31']);
  expect(await signups('Europe/Berlin')).toEqual(['u1 2024-03-28', 'u2 2024-03-31']);
  expect(await signups('Asia/Tokyo')).toEqual(['u1 2024-03-29', 'u2 2024-04-01']);
});

test('DAU differs on exactly the days the zones disagree on', async () => {
  const dau = async (zone: string) =>
    Object.fromEntries(
      (await rows(zone, `select activity_date, dau from analytics.daily_active_users order by 1`)).map(
        (row) => [row.activity_date, row.dau],
      ),
    );
  expect(await dau('UTC')).toEqual({
    '2024-03-28': 1,
    '2024-03-29': 1,
    '2024-03-30': 1,
    '2024-03-31': 2,
    '2024-04-01': 1,
    '2024-04-02': 0,
  });
  // No one on Mar 30; both on Apr 1 (u1 only because of summer time).
  expect(await dau('Europe/Berlin')).toEqual({
    '2024-03-28': 1,
    '2024-03-29': 1,
    '2024-03-30': 0,
    '2024-03-31': 2,
    '2024-04-01': 2,
    '2024-04-02': 0,
  });
  expect(await dau('Asia/Tokyo')).toEqual({
    '2024-03-29': 1,
    '2024-03-30': 0,
    '2024-03-31': 1,
    '2024-04-01': 2,
    '2024-04-02': 1,
  });
});

test('ISO weeks and months follow the zone: the lifecycle and the N-day retention', async () => {
  const weeks = async (zone: string) =>
    (
      await rows(
        zone,
        `select period_start, status, users from analytics.user_lifecycle_weekly where users > 0 order by 1, 2`,
      )
    ).map((row) => `${row.period_start} ${row.status} ${row.users}`);
  expect(await weeks('UTC')).toEqual(['2024-03-25 new 2', '2024-04-01 dormant 1', '2024-04-01 returning 1']);
  expect(await weeks('Europe/Berlin')).toEqual(['2024-03-25 new 2', '2024-04-01 returning 2']);
  expect(await weeks('Asia/Tokyo')).toEqual([
    '2024-03-25 new 1',
    '2024-04-01 new 1',
    '2024-04-01 returning 1',
  ]);

  const months = async (zone: string) =>
    (
      await rows(
        zone,
        `select period_start, status, users from analytics.user_lifecycle_monthly where users > 0 order by 1, 2`,
      )
    ).map((row) => `${row.period_start} ${row.status} ${row.users}`);
  expect(await months('UTC')).toEqual(['2024-03-01 new 2', '2024-04-01 dormant 1', '2024-04-01 returning 1']);
  expect(await months('Europe/Berlin')).toEqual(['2024-03-01 new 2', '2024-04-01 returning 2']);
  expect(await months('Asia/Tokyo')).toEqual([
    '2024-03-01 new 1',
    '2024-04-01 new 1',
    '2024-04-01 returning 1',
  ]);

  const dayOne = async (zone: string) =>
    (
      await rows(
        zone,
        `select cohort_week, cohort_size, retained_on_day, retained_on_or_after from analytics.user_retention_days
         where n = 1 order by 1`,
      )
    ).map(
      (row) => `${row.cohort_week}: ${row.retained_on_day}/${row.retained_on_or_after} of ${row.cohort_size}`,
    );
  expect(await dayOne('UTC')).toEqual(['2024-03-25: 2/2 of 2']);
  expect(await dayOne('Europe/Berlin')).toEqual(['2024-03-25: 2/2 of 2']);
  // u1's day 1 is Mar 30, when Tokyo saw nothing of them; u2 signs up in week 14 and is back on Apr 2.
  expect(await dayOne('Asia/Tokyo')).toEqual(['2024-03-25: 0/1 of 1', '2024-04-01: 1/1 of 1']);
});

test('a loaded warehouse refuses another zone; changing it rebuilds everything as if built in the new zone', async () => {
  const db = await createTestDatabase();
  try {
    await runWarehouse(db.pool, { sources: cohortFiles(EVENTS), asOf: AS_OF, timeZone: 'UTC' });
    const before = await snapshotTables(db.pool, PUBLISHED_TABLES);
    await expect(runWarehouse(db.pool, { asOf: AS_OF, timeZone: 'Europe/Berlin' })).rejects.toThrow(
      TimeZoneMismatchError,
    );
    // Refused before anything ran: readers see what they saw.
    expect(await snapshotTables(db.pool, PUBLISHED_TABLES)).toEqual(before);

    const change = await changeTimeZone(db.pool, 'Europe/Berlin');
    expect(change).toMatchObject({ from: 'UTC', to: 'Europe/Berlin', eventsRedated: 2 });
    await runWarehouse(db.pool, { asOf: AS_OF, timeZone: 'Europe/Berlin' });
    const tables = [...CORE_AND_ANALYTICS_TABLES, ...PUBLISHED_TABLES];
    const ignore = { ignoreLineage: true, ignore: ['built_at'] };
    expect(await snapshotTables(db.pool, tables, ignore)).toEqual(
      await snapshotTables(pool('Europe/Berlin'), tables, ignore),
    );
  } finally {
    await db.drop();
  }
});

test('a zone is an IANA name, in its canonical spelling', () => {
  expect(parseTimeZone('europe/berlin')).toBe('Europe/Berlin');
  expect(parseTimeZone('Etc/UTC')).toBe('UTC');
  expect(() => parseTimeZone('Mars/Olympus')).toThrow(/IANA time zone/);
  expect(() => parseTimeZone('+01:00')).toThrow(/IANA time zone/);
});
