import { allMonthRanges, loadFeatureUsage, loadOverview, loadReportData } from '../../dashboard/data';
import { inRange, latestCohorts, rangeFunnel, sessionsPerUserDay } from '../../dashboard/engagement';
import { createReaderPool } from '../../dashboard/reader';
import {
  monthSpan,
  netNewMrr,
  type Overview,
  rangeDates,
  type RetentionDayPoint,
  revenueHeadline,
} from '../../dashboard/types';
import type { Pool } from '../../lambdas/warehouse/db';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { loadDashboardFixture } from '../support/dashboard-fixture';
import { ENGAGEMENT_AS_OF, loadEngagementFixture } from './engagement-fixture';
import { loadRevenueFixture } from './revenue-fixture';

// Expected values are worked out by hand from test/support/cohort-fixture.ts (as in
// test/lambdas/warehouse/metrics.test.ts), as of 2024-03-15.
let db: TestDatabase;
let reader: Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  await loadDashboardFixture(db.pool);
  reader = createReaderPool(db.url);
});
afterAll(async () => {
  await reader.end();
  await db.drop();
});

test('headline numbers as of A', async () => {
  const overview = await loadOverview(reader);
  expect(overview.headline).toEqual({
    asOfDate: '2024-03-15',
    timeZone: 'UTC',
    users: 4,
    // Nobody is seen on Mar 15; u3 on Mar 14 is this week's only user; u1 (Mar 1) and u3 this month's.
    activeUsers: 0,
    weeklyActiveUsers: 1,
    monthlyActiveUsers: 2,
    stickiness: 0,
    // Only January's first month is complete: u1 of u1 and u2 came back in February.
    month1RetentionRate: 50,
    // u2 (last seen Jan 22) and u4 (Feb 10) are "high"; u1 (Mar 1, 14 days) is "low".
    atRiskUsers: 2,
  });
  expect(overview.months).toEqual(['2024-01', '2024-02', '2024-03']);
  expect(overview.activity[0]).toEqual({ date: '2024-01-10', dau: 1, wau: 1, mau: 1, stickiness: 1 });
  expect(overview.activity.at(-1)?.date).toBe('2024-03-15');
  expect(overview.churn.categories).toEqual([
    // Scores as in metrics.test.ts: u3 30, u1 29, u2 83 and u4 69.
    { category: 'active', users: 1, averageScore: 30 },
    { category: 'low', users: 1, averageScore: 29 },
    { category: 'high', users: 2, averageScore: 76 },
  ]);
  // u1 cancelled on Mar 1, so u2's pro plan is the only active paid subscription, and u2 is at risk.
  expect(overview.churn.atRiskPaying.map((u) => [u.userId, u.plan, u.category])).toEqual([
    ['u2', 'pro', 'high'],
  ]);
  // u2 signed up with an email (test/support/cohort-fixture.ts): the at-risk table shows ids and
  // companies, never an email or a name, which BI cannot read.
  expect(JSON.stringify(overview.churn.atRiskPaying)).not.toMatch(/u2@example\.com|email|full_?name/i);
  expect(
    overview.retention
      .filter((c) => c.cohortMonth === '2024-01')
      .map((c) => [c.monthsSinceSignup, c.retentionRate, c.isCompleteMonth]),
  ).toEqual([
    [0, 100, true],
    [1, 50, true],
    [2, 50, false],
  ]);
});

test('pipeline health: runs, rows per layer from the ledger, quarantine by reason, quality checks', async () => {
  const { pipeline } = await loadOverview(reader);
  expect(pipeline.runs).toHaveLength(1);
  expect(pipeline.runs[0]).toMatchObject({ status: 'succeeded', trigger: 'test', asOfDate: '2024-03-15' });
  const layer = (table: string) => pipeline.layers.find((l) => l.table === table)?.rows;
  const count = async (sql: string) => Number((await db.pool.query(sql)).rows[0].count);
  // The owner's own counts: the reader sees the same numbers without reading a raw or staging row.
  expect(layer('raw lines')).toBe(await count('select count(*) from raw.events'));
  expect(layer('staging.events')).toBe(await count('select count(*) from staging.events'));
  expect(layer('staging.quarantine')).toBe(2);
  expect(layer('core.fact_events')).toBe(await count('select count(*) from core.fact_events'));
  expect(layer('core.dim_users (current)')).toBe(4);
  expect(pipeline.quarantine).toEqual([
    { reason: 'invalid_json', rows: 1, files: 1 },
    { reason: 'missing_field', rows: 1, files: 1 },
  ]);
  expect(pipeline.quality.length).toBeGreaterThan(5);
  expect(pipeline.quality.every((q) => q.passed || q.severity === 'warn')).toBe(true);
  expect(layer('raw.files (rejected)')).toBe(0);
  expect(pipeline.rejected).toEqual([]);
});

test('rejected files: which, why and when, newest first, through the reader, never their content', async () => {
  // As the loader records them (lambdas/warehouse/ingest): the file's ledger row, with no raw.events.
  const insert = (key: string, reason: string, error: string, at: string) =>
    db.pool.query(
      `insert into raw.files (bucket, object_key, etag, size_bytes, status, reject_reason, error, rejected_at)
       values ('landing', $1, 'etag-' || $1, 2048, 'rejected', $2, $3, $4)`,
      [key, reason, error, at],
    );
  const long = `unexpected end of file: ${'x'.repeat(400)}`;
  await insert(
    'events/dt=2024-03-13/part-0007.ndjson.gz',
    'corrupt_gzip',
    'incorrect header check',
    '2024-03-14T06:00:00Z',
  );
  await insert('events/dt=2024-03-14/part-0009.ndjson.gz', 'truncated_gzip', long, '2024-03-15T06:00:00Z');
  const { pipeline } = await loadOverview(reader);
  expect(pipeline.rejected).toEqual([
    {
      objectKey: 'events/dt=2024-03-14/part-0009.ndjson.gz',
      reason: 'truncated_gzip',
      // The view keeps the first 300 characters of the loader's message.
      detail: long.slice(0, 300),
      rejectedAt: '2024-03-15T06:00:00.000Z',
    },
    {
      objectKey: 'events/dt=2024-03-13/part-0007.ndjson.gz',
      reason: 'corrupt_gzip',
      detail: 'incorrect header check',
      rejectedAt: '2024-03-14T06:00:00.000Z',
    },
  ]);
  expect(pipeline.layers.find((l) => l.table === 'raw.files (rejected)')?.rows).toBe(2);
  // Only the view: the reader cannot read the ledger itself, nor any line of a file.
  await expect(reader.query('select * from raw.files')).rejects.toThrow(/permission denied/);
  expect((await loadOverview(reader, { rejectedLimit: 1 })).pipeline.rejected).toHaveLength(1);
});

test('feature use inside a range, with the funnel counted inside it', async () => {
  // Templates only: u1 twice on Jan 10; u2 on Jan 20 (ISO week 3) and Jan 22 (week 4); u3 on Feb 3,
  // Feb 5 and Feb 12 (weeks 5, 6, 7).
  const [all, january, february, march] = await loadFeatureUsage(reader, [
    { from: '2024-01', to: '2024-03' },
    { from: '2024-01', to: '2024-01' },
    { from: '2024-02', to: '2024-02' },
    { from: '2024-03', to: '2024-03' },
  ]);
  const templates = (usage: typeof all) => {
    const { totalUses, uniqueUsers, repeatedUsers, habitUsers } = usage?.[0] ?? {};
    expect(usage?.map((f) => f.featureId)).toEqual(['templates']);
    return { totalUses, uniqueUsers, repeatedUsers, habitUsers };
  };
  expect(templates(all)).toEqual({ totalUses: 7, uniqueUsers: 3, repeatedUsers: 2, habitUsers: 1 });
  expect(templates(january)).toEqual({ totalUses: 4, uniqueUsers: 2, repeatedUsers: 1, habitUsers: 0 });
  expect(templates(february)).toEqual({ totalUses: 3, uniqueUsers: 1, repeatedUsers: 1, habitUsers: 1 });
  // A range with no use keeps the feature's bar, at zero.
  expect(templates(march)).toEqual({ totalUses: 0, uniqueUsers: 0, repeatedUsers: 0, habitUsers: 0 });
});

test('over all of history the range figures are the analytics view', async () => {
  const [all] = await loadFeatureUsage(reader, [{ from: '2024-01', to: '2024-03' }]);
  const { rows } = await reader.query(
    `select feature_id, total_uses, unique_users, repeated_users, habit_users
     from analytics.feature_adoption_funnel order by total_uses desc, feature_id`,
  );
  expect(
    all?.map((f) => ({
      feature_id: f.featureId,
      total_uses: f.totalUses,
      unique_users: f.uniqueUsers,
      repeated_users: f.repeatedUsers,
      habit_users: f.habitUsers,
    })),
  ).toEqual(rows);
});

test('a report holds every month range the filter can pick', async () => {
  expect(allMonthRanges(['2024-01', '2024-02', '2024-03'])).toHaveLength(6);
  // Over 61 months, every pair but the first and last month: that range would span 61.
  const months = Array.from(
    { length: 61 },
    (_, i) => `${2020 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`,
  );
  const ranges = allMonthRanges(months);
  expect(ranges).toHaveLength((61 * 62) / 2 - 1);
  expect(Math.max(...ranges.map(monthSpan))).toBe(60);
  expect(ranges).not.toContainEqual({ from: '2020-01', to: '2025-01' });
  const report = await loadReportData(reader);
  expect(Object.keys(report.featureUsage).sort()).toEqual([
    '2024-01..2024-01',
    '2024-01..2024-02',
    '2024-01..2024-03',
    '2024-02..2024-02',
    '2024-02..2024-03',
    '2024-03..2024-03',
  ]);
  expect(report.featureUsage['2024-02..2024-03']?.[0]?.totalUses).toBe(3);
});

test('month ranges end on the last day of their last month', () => {
  expect(rangeDates({ from: '2024-01', to: '2024-02' })).toEqual({ start: '2024-01-01', end: '2024-02-29' });
  expect(rangeDates({ from: '2023-12', to: '2023-12' })).toEqual({ start: '2023-12-01', end: '2023-12-31' });
  expect(monthSpan({ from: '2023-12', to: '2023-12' })).toBe(1);
  expect(monthSpan({ from: '2020-01', to: '2024-12' })).toBe(60);
});

test('the reader can read analytics but not raw or staging, and can change nothing', async () => {
  await expect(reader.query('select count(*) from raw.events')).rejects.toThrow(/permission denied/);
  await expect(reader.query('select count(*) from staging.quarantine')).rejects.toThrow(/permission denied/);
  await expect(reader.query('delete from ops.runs')).rejects.toThrow(/read-only transaction/);
  const { rows } = await reader.query('select current_user');
  expect(rows[0].current_user).toBe('analytics_reader');
});

test('an empty warehouse has no headline and no months', async () => {
  const empty = await createTestDatabase();
  const emptyReader = createReaderPool(empty.url);
  try {
    const overview = await loadOverview(emptyReader);
    expect(overview.headline).toBeNull();
    expect(overview.months).toEqual([]);
    expect(overview.engagement).toEqual({
      lifecycle: [],
      retentionDays: [],
      activation: [],
      sessions: [],
      activeByPlan: [],
    });
    expect((await loadReportData(emptyReader)).featureUsage).toEqual({});
  } finally {
    await emptyReader.end();
    await empty.drop();
  }
});

test('revenue: MRR of the month of A in the main currency, net new, NRR of the last complete month', async () => {
  await loadRevenueFixture(db.pool);
  const { revenue, accounts } = await loadOverview(reader);
  // Figures in test/dashboard/revenue-fixture.ts: USD 140 against EUR 50 in March, so USD is the main one.
  expect(revenue.headline).toEqual({
    currency: 'USD',
    month: '2024-03',
    mrr: 140,
    // 0 new + 25 reactivation + 15 expansion − 0 contraction − 30 churn.
    netNewMrr: 10,
    payingCustomers: 4,
    // March is not complete: February's NRR, (100 + 20 − 10 − 30) / 100.
    netRevenueRetention: 0.8,
    netRevenueRetentionMonth: '2024-02',
    otherCurrencies: [{ currency: 'EUR', mrr: 50 }],
  });
  expect(revenue.months.map((m) => [m.month, m.currency, m.endingMrr, m.netRevenueRetention])).toEqual([
    ['2024-01', 'USD', 100, null],
    ['2024-02', 'EUR', 40, null],
    ['2024-02', 'USD', 130, 0.8],
    ['2024-03', 'EUR', 50, 1.25],
    ['2024-03', 'USD', 140, 0.8846],
  ]);
  const february = revenue.months.find((m) => m.month === '2024-02' && m.currency === 'USD');
  expect(february && netNewMrr(february)).toBe(30);
  expect(february?.grossRevenueRetention).toBe(0.6);
  // Ties go to the code; with no MRR in the latest month there is no headline.
  const tie = revenue.months.filter((m) => m.month === '2024-03').map((m) => ({ ...m, endingMrr: 50 }));
  expect(revenueHeadline(tie)?.currency).toBe('EUR');
  expect(revenueHeadline(revenue.months.map((m) => ({ ...m, endingMrr: 0 })))).toBeNull();

  expect(accounts.activity).toEqual([
    { date: '2024-01-10', daa: 1, waa: 1, maa: 1 },
    { date: '2024-02-05', daa: 2, waa: 2, maa: 2 },
    { date: '2024-03-14', daa: 1, waa: 1, maa: 2 },
  ]);
  // Paying and at risk, most MRR first: gamma is healthy and u9 pays nothing.
  expect(accounts.atRiskPaying.map((a) => [a.accountId, a.mrr, a.currency, a.score])).toEqual([
    ['acme', 90, 'USD', 15],
    ['beta', 40, 'USD', 35],
  ]);
  expect((await loadOverview(reader, { atRiskAccountLimit: 1 })).accounts.atRiskPaying).toHaveLength(1);
  // The report embeds the same overview.
  expect((await loadReportData(reader)).overview.revenue.headline?.mrr).toBe(140);
});

describe('engagement panels, on test/dashboard/engagement-fixture.ts as of 2024-03-27', () => {
  // ISO weeks of 2024: W06 Feb 5, W07 Feb 12, W08 Feb 19, W09 Feb 26 (to Mar 3), W10 Mar 4, W11 Mar 11,
  // W12 Mar 18, W13 Mar 25 (holds A). Active days, signed-up users: ann Feb 5, 6, 8, 12, 14, Mar 26;
  // bob Feb 7, 8, Mar 6; cat Feb 26, 27, Mar 1, 4, 12, 27; dan Mar 18, 19, 25; and anon-z on Mar 19.
  const FEBRUARY_TO_MARCH = { from: '2024-02', to: '2024-03' };
  const MARCH = { from: '2024-03', to: '2024-03' };
  let engagementDb: TestDatabase;
  let engagementReader: Pool;
  let overview: Overview;
  beforeAll(async () => {
    engagementDb = await createTestDatabase();
    await loadEngagementFixture(engagementDb.pool);
    engagementReader = createReaderPool(engagementDb.url);
    overview = await loadOverview(engagementReader);
  });
  afterAll(async () => {
    await engagementReader?.end();
    await engagementDb?.drop();
  });

  test('the fixture is as of A, over February and March', () => {
    expect(overview.headline?.asOfDate).toBe(ENGAGEMENT_AS_OF);
    expect(overview.months).toEqual(['2024-02', '2024-03']);
  });

  test('lifecycle: one row per ISO week, dormant as a count, the week holding A incomplete', () => {
    const week = (w: (typeof overview.engagement.lifecycle)[number]) =>
      `${w.weekStart}..${w.weekEnd} new ${w.newUsers} returning ${w.returningUsers} resurrecting ${w.resurrectingUsers} dormant ${w.dormantUsers}${w.isComplete ? '' : ' incomplete'}`;
    expect(overview.engagement.lifecycle.map(week)).toEqual([
      // ann and bob sign up.
      '2024-02-05..2024-02-11 new 2 returning 0 resurrecting 0 dormant 0',
      // ann is back (Feb 12, 14); bob is quiet.
      '2024-02-12..2024-02-18 new 0 returning 1 resurrecting 0 dormant 1',
      // Nobody: ann goes quiet.
      '2024-02-19..2024-02-25 new 0 returning 0 resurrecting 0 dormant 1',
      // cat signs up (this week starts in February, though it ends on Mar 3).
      '2024-02-26..2024-03-03 new 1 returning 0 resurrecting 0 dormant 0',
      // cat again; bob back after four quiet weeks.
      '2024-03-04..2024-03-10 new 0 returning 1 resurrecting 1 dormant 0',
      // cat again; bob quiet.
      '2024-03-11..2024-03-17 new 0 returning 1 resurrecting 0 dormant 1',
      // dan signs up; cat quiet.
      '2024-03-18..2024-03-24 new 1 returning 0 resurrecting 0 dormant 1',
      // dan again; ann (Mar 26) and cat (Mar 27, A) back. Ends after A.
      '2024-03-25..2024-03-31 new 0 returning 1 resurrecting 2 dormant 0 incomplete',
    ]);
  });

  test('N-day retention: on day N and on or after, both rates, immature points of the latest cohort', () => {
    const line = (p: RetentionDayPoint) =>
      `${p.cohortWeek} N${p.n}: ${p.retainedOnDay}/${p.retainedOnOrAfter} of ${p.cohortSize} (${p.retainedOnDayRate}%, ${p.retainedOnOrAfterRate}%)${p.isMature ? '' : ' immature'}`;
    expect(overview.engagement.retentionDays.map(line)).toEqual([
      // ann's days N: Feb 6, 8, 12 (all hit), 19, Mar 6 (missed, back Mar 26); bob's Feb 8 (hit), 10,
      // 14, 21 (missed, back Mar 6), Mar 8 (missed, and nothing after).
      '2024-02-05 N1: 2/2 of 2 (100%, 100%)',
      '2024-02-05 N3: 1/2 of 2 (50%, 100%)',
      '2024-02-05 N7: 1/2 of 2 (50%, 100%)',
      '2024-02-05 N14: 0/2 of 2 (0%, 100%)',
      '2024-02-05 N30: 0/1 of 2 (0%, 50%)',
      // cat's days N: Feb 27 (hit), Feb 29 (missed), Mar 4 (hit), Mar 11 (missed), Mar 27: A, mature.
      '2024-02-26 N1: 1/1 of 1 (100%, 100%)',
      '2024-02-26 N3: 0/1 of 1 (0%, 100%)',
      '2024-02-26 N7: 1/1 of 1 (100%, 100%)',
      '2024-02-26 N14: 0/1 of 1 (0%, 100%)',
      '2024-02-26 N30: 1/1 of 1 (100%, 100%)',
      // dan's days N: Mar 19 (hit), Mar 21 (missed, back Mar 25), Mar 25 (hit); Apr 1 and 17 are after A.
      '2024-03-18 N1: 1/1 of 1 (100%, 100%)',
      '2024-03-18 N3: 0/1 of 1 (0%, 100%)',
      '2024-03-18 N7: 1/1 of 1 (100%, 100%)',
      '2024-03-18 N14: 0/0 of 1 (0%, 0%) immature',
      '2024-03-18 N30: 0/0 of 1 (0%, 0%) immature',
    ]);
    const weeks = (range: typeof MARCH) =>
      latestCohorts(overview.engagement.retentionDays, range).map((c) => [c.cohortWeek, c.cohortSize]);
    expect(weeks(FEBRUARY_TO_MARCH)).toEqual([
      ['2024-02-05', 2],
      ['2024-02-26', 1],
      ['2024-03-18', 1],
    ]);
    // The week of Feb 26 starts in February.
    expect(weeks(MARCH)).toEqual([['2024-03-18', 1]]);
  });

  test('the retention chart keeps the latest 8 cohort weeks of the range, oldest first, each by N', () => {
    // Made-up points: ten cohort weeks of 2024, Mondays from Jan 1, N in reverse order.
    const points = Array.from({ length: 10 }, (_, i) =>
      [30, 1].map((n) => ({
        cohortWeek: new Date(Date.UTC(2024, 0, 1 + 7 * i)).toISOString().slice(0, 10),
        n,
        cohortSize: i + 1,
        retainedOnDay: 0,
        retainedOnOrAfter: 0,
        retainedOnDayRate: 0,
        retainedOnOrAfterRate: 0,
        isMature: true,
      })),
    ).flat();
    const cohorts = latestCohorts(points, { from: '2024-01', to: '2024-03' });
    expect(cohorts.map((c) => c.cohortWeek)).toEqual([
      '2024-01-15',
      '2024-01-22',
      '2024-01-29',
      '2024-02-05',
      '2024-02-12',
      '2024-02-19',
      '2024-02-26',
      '2024-03-04',
    ]);
    expect(cohorts[0]?.points.map((p) => p.n)).toEqual([1, 30]);
    expect(latestCohorts(points, { from: '2024-01', to: '2024-01' }).map((c) => c.cohortSize)).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  test('sessions: duration per day, and sessions per user-day by platform over a range', () => {
    const all = overview.engagement.sessions.filter((d) => d.platform === 'all');
    expect(
      all.map(
        (d) => `${d.date} ${d.sessions}/${d.users} ${d.medianDurationSeconds}s ${d.p90DurationSeconds}s`,
      ),
    ).toEqual([
      '2024-02-05 1/1 600s 600s',
      // ann: 20 minutes on web, 5 on ios: median 750, p90 300 + 0.9 × 900.
      '2024-02-06 2/1 750s 1110s',
      '2024-02-07 1/1 1800s 1800s',
      // ann 30 minutes on web, bob one event on ios: median 900, p90 0.9 × 1800.
      '2024-02-08 2/2 900s 1620s',
      '2024-02-12 1/1 0s 0s',
      // ann's login at 08:00 and her subscription at 10:00.
      '2024-02-14 1/1 7200s 7200s',
      '2024-02-26 1/1 900s 900s',
      '2024-02-27 1/1 0s 0s',
      '2024-03-01 1/1 0s 0s',
      // cat's two sessions: 40 minutes and one event.
      '2024-03-04 2/1 1200s 2160s',
      '2024-03-06 1/1 0s 0s',
      '2024-03-12 1/1 0s 0s',
      '2024-03-18 1/1 1200s 1200s',
      // anon-z is active, but sessions count signed-up users only.
      '2024-03-19 1/1 0s 0s',
      '2024-03-25 1/1 0s 0s',
      '2024-03-26 1/1 0s 0s',
      '2024-03-27 1/1 0s 0s',
    ]);
    const perPlatform = (range: typeof MARCH) =>
      sessionsPerUserDay(overview.engagement.sessions.filter((d) => inRange(d.date, range))).map((p) => [
        p.platform,
        p.sessions,
        p.userDays,
        Number(p.sessionsPerUserDay.toFixed(4)),
      ]);
    expect(perPlatform(FEBRUARY_TO_MARCH)).toEqual([
      // 12 days with a web session, two of them on Mar 4.
      ['web', 13, 12, 1.0833],
      // Feb 6 (ann), Feb 7 and 8 and Mar 6 (bob): ann's Feb 6 is a user-day of web and of ios.
      ['ios', 4, 4, 1],
      ['android', 3, 3, 1],
      // 17 days with sessions, Feb 8 with two users: 18 user-days.
      ['all', 20, 18, 1.1111],
    ]);
    expect(perPlatform(MARCH)).toEqual([
      ['web', 6, 5, 1.2],
      ['android', 3, 3, 1],
      ['ios', 1, 1, 1],
      ['all', 10, 9, 1.1111],
    ]);
  });

  test('activation: the cohorts of a range added up, conversions of the sums, medians of the latest complete', () => {
    const funnel = (range: typeof MARCH) => {
      const f = rangeFunnel(overview.engagement.activation, range);
      return {
        cohorts: f.cohorts,
        medianCohort: f.medianCohort,
        steps: f.steps.map((s) => [
          s.stepName,
          s.users,
          s.conversionRate === null ? null : Number(s.conversionRate.toFixed(2)),
          s.medianHoursFromSignup,
        ]),
      };
    };
    // February: ann reaches every step (created 10 minutes in; second edit day 74 h; day 7 login
    // 168.5 h; pro 217 h), bob three (created after 30 minutes, shared after 24 h), cat only signs up;
    // complete (cat's 30 days end Mar 27 09:00). March: dan, four steps (created 20 minutes in, edits
    // Mar 19 and Mar 25, which is day 7: 168 h), not complete.
    expect(funnel(FEBRUARY_TO_MARCH)).toEqual({
      cohorts: ['2024-02', '2024-03'],
      medianCohort: '2024-02',
      steps: [
        ['signed_up', 4, null, 0],
        ['created_document', 3, 75, 0.3],
        ['edited_on_second_day_or_shared', 3, 100, 49],
        ['active_in_second_week', 2, 66.67, 168.5],
        ['paying', 1, 50, 217],
      ],
    });
    expect(funnel(MARCH)).toEqual({
      cohorts: ['2024-03'],
      medianCohort: null,
      steps: [
        ['signed_up', 1, null, null],
        ['created_document', 1, 100, null],
        ['edited_on_second_day_or_shared', 1, 100, null],
        ['active_in_second_week', 1, 100, null],
        ['paying', 0, 0, null],
      ],
    });
    expect(funnel({ from: '2024-02', to: '2024-02' }).steps.map((s) => s[1])).toEqual([3, 2, 2, 1, 1]);
  });

  test('DAU by plan: the version at the end of the day, no plan for an anonymous person, adding up to DAU', () => {
    const rows = overview.engagement.activeByPlan;
    expect(rows.map((r) => `${r.date} ${r.plan ?? 'none'} ${r.users}`)).toEqual([
      '2024-02-05 free 1',
      '2024-02-06 free 1',
      '2024-02-07 free 1',
      '2024-02-08 free 2',
      '2024-02-12 free 1',
      // ann logged in at 08:00 on free and subscribed to pro at 10:00: pro at the end of the day.
      '2024-02-14 pro 1',
      '2024-02-26 free 1',
      '2024-02-27 free 1',
      '2024-03-01 free 1',
      '2024-03-04 free 1',
      '2024-03-06 free 1',
      '2024-03-12 free 1',
      '2024-03-18 free 1',
      '2024-03-19 free 1',
      '2024-03-19 none 1',
      '2024-03-25 free 1',
      '2024-03-26 pro 1',
      '2024-03-27 free 1',
    ]);
    const byDay = new Map<string, number>();
    for (const r of rows) byDay.set(r.date, (byDay.get(r.date) ?? 0) + r.users);
    expect(overview.activity.filter((d) => d.dau > 0).map((d) => [d.date, d.dau])).toEqual([...byDay]);
  });

  test('DAU by plan: the end of the day is midnight of the reporting time zone', async () => {
    // Set by hand, only to move the end of each day: at UTC+14 Feb 14 ends at 10:00 UTC, the instant
    // ann's pro version starts. A version that starts at the end of a day is the next day's.
    await engagementDb.pool.query(`update analytics.as_of set time_zone = 'Pacific/Kiritimati'`);
    try {
      const { engagement } = await loadOverview(engagementReader);
      expect(engagement.activeByPlan.find((r) => r.date === '2024-02-14')).toEqual({
        date: '2024-02-14',
        plan: 'free',
        users: 1,
      });
    } finally {
      await engagementDb.pool.query(`update analytics.as_of set time_zone = 'UTC'`);
    }
  });
});
