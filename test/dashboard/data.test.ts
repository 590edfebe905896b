import { allMonthRanges, loadFeatureUsage, loadOverview, loadReportData } from '../../dashboard/data';
import { createReaderPool } from '../../dashboard/reader';
import { monthSpan, netNewMrr, rangeDates, revenueHeadline } from '../../dashboard/types';
import type { Pool } from '../../lambdas/warehouse/db';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { loadDashboardFixture } from '../support/dashboard-fixture';
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
