import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { cohortFiles } from '../../support/cohort-fixture';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import type { FixtureEvent } from '../../support/events';

// Lifecycle and N-day retention (docs/metrics.md, section 16), worked out by hand. ISO weeks of 2024:
// Feb 19, Feb 26, Mar 4, Mar 11, Mar 18, Mar 25 (each Monday to Sunday). A is Wed Mar 27.
//   u_f  signs up Tue Feb 20; active Feb 20, Feb 22.
//   u_a  signs up Tue Mar 5;  active Mar 5, 6, 12, 26: new, returning, dormant, resurrecting.
//   u_c  signs up Wed Mar 6;  active Mar 6, 9, 20.
//   u_b  signs up Tue Mar 12; active Mar 12, 13, 27 (A), and Mar 29, after A, which counts nowhere.
const AS_OF = '2024-03-27';
const day = (user: string, at: string, n: number): FixtureEvent => ({
  id: `${user}-${at}-${n}`,
  type: 'feature_used',
  at: `${at}T10:0${n}:00Z`,
  user,
  properties: { feature_id: 'templates', feature_name: 'Templates', duration_sec: 5 },
});
const signup = (user: string, at: string): FixtureEvent => ({
  id: `${user}-signup`,
  type: 'user_signed_up',
  at: `${at}T09:00:00Z`,
  user,
  properties: { plan: 'free', email: `${user}@example.com` },
});
const activeOn = (user: string, days: string[]) => days.map((at, n) => day(user, at, n));
export const ENGAGEMENT_EVENTS: FixtureEvent[] = [
  signup('u_f', '2024-02-20'),
  ...activeOn('u_f', ['2024-02-20', '2024-02-22']),
  signup('u_a', '2024-03-05'),
  ...activeOn('u_a', ['2024-03-05', '2024-03-06', '2024-03-12', '2024-03-26']),
  signup('u_c', '2024-03-06'),
  ...activeOn('u_c', ['2024-03-06', '2024-03-09', '2024-03-20']),
  signup('u_b', '2024-03-12'),
  ...activeOn('u_b', ['2024-03-12', '2024-03-13', '2024-03-27', '2024-03-29']),
];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: cohortFiles(ENGAGEMENT_EVENTS), asOf: AS_OF });
});
afterAll(() => db.drop());

const rows = async (sql: string) => (await db.pool.query(sql)).rows;
/** period_start → { status: users }, and which periods are complete. */
async function lifecycle(table: string) {
  const all = await rows(
    `select period_start, period_end, status, users, is_complete from ${table} order by period_start`,
  );
  const byPeriod: Record<string, Record<string, number | boolean | string>> = {};
  for (const row of all) {
    byPeriod[row.period_start] ??= { end: row.period_end, complete: row.is_complete };
    (byPeriod[row.period_start] as Record<string, number>)[row.status] = row.users;
  }
  return byPeriod;
}

test('weekly lifecycle: new, returning, dormant and resurrecting, with the week holding A incomplete', async () => {
  expect(await lifecycle('analytics.user_lifecycle_weekly')).toEqual({
    '2024-02-19': { end: '2024-02-25', complete: true, new: 1, returning: 0, resurrecting: 0, dormant: 0 },
    '2024-02-26': { end: '2024-03-03', complete: true, new: 0, returning: 0, resurrecting: 0, dormant: 1 },
    '2024-03-04': { end: '2024-03-10', complete: true, new: 2, returning: 0, resurrecting: 0, dormant: 0 },
    // u_b new; u_a back from last week; u_c gone quiet.
    '2024-03-11': { end: '2024-03-17', complete: true, new: 1, returning: 1, resurrecting: 0, dormant: 1 },
    // u_c back after a quiet week; u_a and u_b quiet.
    '2024-03-18': { end: '2024-03-24', complete: true, new: 0, returning: 0, resurrecting: 1, dormant: 2 },
    // u_a and u_b back (u_b on A itself); u_c quiet again. Ends after A.
    '2024-03-25': { end: '2024-03-31', complete: false, new: 0, returning: 0, resurrecting: 2, dormant: 1 },
  });
});

test('monthly lifecycle: signed up in the month is new, whatever the weeks did', async () => {
  expect(await lifecycle('analytics.user_lifecycle_monthly')).toEqual({
    '2024-02-01': { end: '2024-02-29', complete: true, new: 1, returning: 0, resurrecting: 0, dormant: 0 },
    '2024-03-01': { end: '2024-03-31', complete: false, new: 3, returning: 0, resurrecting: 0, dormant: 1 },
  });
});

test('N-day retention: "on" day N against "on or after", rates, and maturity by the last signup', async () => {
  const all = await rows(`select cohort_week, n, cohort_size, retained_on_day, retained_on_or_after,
      retained_on_day_rate::text as on_rate, retained_on_or_after_rate::text as after_rate, is_mature
    from analytics.user_retention_days order by cohort_week, n`);
  const line = (r: Record<string, unknown>) =>
    `${r.cohort_week} N${r.n}: ${r.retained_on_day}/${r.retained_on_or_after} of ${r.cohort_size} (${r.on_rate}%, ${r.after_rate}%)${r.is_mature ? '' : ' immature'}`;
  expect(all.map(line)).toEqual([
    // u_f: nothing on Feb 21, but back on Feb 22.
    '2024-02-19 N1: 0/1 of 1 (0.00%, 100.00%)',
    '2024-02-19 N3: 0/0 of 1 (0.00%, 0.00%)',
    '2024-02-19 N7: 0/0 of 1 (0.00%, 0.00%)',
    '2024-02-19 N14: 0/0 of 1 (0.00%, 0.00%)',
    '2024-02-19 N30: 0/0 of 1 (0.00%, 0.00%)',
    // u_a (day N: Mar 6, 8, 12, 19) and u_c (Mar 7, 9, 13, 20): each hits one of the days, both come back after.
    '2024-03-04 N1: 1/2 of 2 (50.00%, 100.00%)',
    '2024-03-04 N3: 1/2 of 2 (50.00%, 100.00%)',
    '2024-03-04 N7: 1/2 of 2 (50.00%, 100.00%)',
    '2024-03-04 N14: 1/2 of 2 (50.00%, 100.00%)',
    '2024-03-04 N30: 0/0 of 2 (0.00%, 0.00%) immature',
    // u_b: day 14 is Mar 26, the day before A: mature, missed, but back on A.
    '2024-03-11 N1: 1/1 of 1 (100.00%, 100.00%)',
    '2024-03-11 N3: 0/1 of 1 (0.00%, 100.00%)',
    '2024-03-11 N7: 0/1 of 1 (0.00%, 100.00%)',
    '2024-03-11 N14: 0/1 of 1 (0.00%, 100.00%)',
    '2024-03-11 N30: 0/0 of 1 (0.00%, 0.00%) immature',
  ]);
});

test('at the maturity edge: day N on A is mature, the day after is not, and nothing after A counts', async () => {
  const edge = await createTestDatabase();
  try {
    // u_b's day 14 is Mar 26. As of Mar 26 it is mature (and Mar 27 not yet seen); as of Mar 25 not.
    await runWarehouse(edge.pool, { sources: cohortFiles(ENGAGEMENT_EVENTS), asOf: '2024-03-26' });
    const n14 = async () =>
      (
        await edge.pool.query(
          `select retained_on_day, retained_on_or_after, is_mature from analytics.user_retention_days
           where cohort_week = '2024-03-11' and n = 14`,
        )
      ).rows[0];
    expect(await n14()).toEqual({ retained_on_day: 0, retained_on_or_after: 0, is_mature: true });
    await runWarehouse(edge.pool, { asOf: '2024-03-25' });
    expect(await n14()).toEqual({ retained_on_day: 0, retained_on_or_after: 0, is_mature: false });
    // N7 as of Mar 25: u_b's Mar 27 is after A.
    const { rows: n7 } = await edge.pool.query(
      `select retained_on_or_after from analytics.user_retention_days where cohort_week = '2024-03-11' and n = 7`,
    );
    expect(n7).toEqual([{ retained_on_or_after: 0 }]);
  } finally {
    await edge.drop();
  }
});

test('what npm start prints: the weekly lifecycle and the day-1/7/30 retention of mature cohorts', async () => {
  const { queryRows } = await import('../../../cli/queries');
  expect(await queryRows(db.pool, 'summary/lifecycle_last_weeks')).toEqual([
    { week: '2024-W08', starts: '2024-02-19', new: 1, returning: 0, resurrecting: 0, dormant: 0, note: '' },
    { week: '2024-W09', starts: '2024-02-26', new: 0, returning: 0, resurrecting: 0, dormant: 1, note: '' },
    { week: '2024-W10', starts: '2024-03-04', new: 2, returning: 0, resurrecting: 0, dormant: 0, note: '' },
    { week: '2024-W11', starts: '2024-03-11', new: 1, returning: 1, resurrecting: 0, dormant: 1, note: '' },
    { week: '2024-W12', starts: '2024-03-18', new: 0, returning: 0, resurrecting: 1, dormant: 2, note: '' },
    {
      week: '2024-W13',
      starts: '2024-03-25',
      new: 0,
      returning: 0,
      resurrecting: 2,
      dormant: 1,
      note: 'incomplete',
    },
  ]);
  // Only the cohort of Feb 19 is mature for day 30 (Feb 20 + 30 = Mar 21).
  expect(await queryRows(db.pool, 'summary/retention_days_mature')).toEqual([
    {
      cohort: '2024-W08',
      users: 1,
      'day 1': '0.00 (100.00)',
      'day 7': '0.00 (0.00)',
      'day 30': '0.00 (0.00)',
    },
  ]);
});
