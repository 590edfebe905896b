import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { columnsOf, createTestDatabase, type TestDatabase } from '../../support/database';
import { type FixtureEvent, fileOf } from '../../support/events';

// The account views on four hand-made accounts, as of A = 2024-03-20, every figure worked out by hand.
// Every event is activity (section 3 of docs/metrics.md), sign-ups and subscriptions included.
//   acme:  a1 (Jan 5, pro from Jan 6, active Mar 18 and 19), a2 (Jan 10, active Feb 15 and Mar 5, free),
//          a3 (account in the properties; Feb 1, enterprise annual from Feb 2: 300 / 12 = 25).
//   beta:  b1, free, seen Feb 10 and 11 only.
//   s1:    no account_id: a one-person account; signs up on pro on Mar 1, active on A.
//   gamma: g1, Jan 20, 20 EUR a month from Jan 21, active Feb 5, 6, 7 and 28.
const AS_OF = '2024-03-20';
const ev = (
  user: string,
  at: string,
  type = 'user_login',
  properties: Record<string, unknown> = {},
  account?: string,
): FixtureEvent => ({
  id: `${user}-${type}-${at}`,
  type,
  at,
  user,
  ...(account === undefined ? {} : { account }),
  properties,
});
const EVENTS: FixtureEvent[] = [
  ev('a1', '2024-01-05T09:00:00Z', 'user_signed_up', { plan: 'free', company: 'Acme' }, 'acme'),
  ev('a1', '2024-01-06T09:00:00Z', 'subscription_started', { plan: 'pro', billing_cycle: 'monthly' }, 'acme'),
  ev('a1', '2024-03-18T09:00:00Z', 'user_login', {}, 'acme'),
  ev('a1', '2024-03-19T09:00:00Z', 'user_login', {}, 'acme'),
  ev('a2', '2024-01-10T09:00:00Z', 'user_signed_up', { plan: 'free' }, 'acme'),
  ev('a2', '2024-02-15T09:00:00Z', 'user_login', {}, 'acme'),
  ev('a2', '2024-03-05T09:00:00Z', 'user_login', {}, 'acme'),
  ev('a3', '2024-02-01T09:00:00Z', 'user_signed_up', { plan: 'free', account_id: 'acme' }),
  ev('a3', '2024-02-02T09:00:00Z', 'subscription_started', {
    plan: 'enterprise',
    billing_cycle: 'annual',
    account_id: 'acme',
  }),
  ev('b1', '2024-02-10T09:00:00Z', 'user_signed_up', { plan: 'free', company: 'Beta' }, 'beta'),
  ev('b1', '2024-02-11T09:00:00Z', 'user_login', {}, 'beta'),
  ev('s1', '2024-03-01T09:00:00Z', 'user_signed_up', { plan: 'pro' }),
  ev('s1', '2024-03-20T09:00:00Z'),
  ev('g1', '2024-01-20T09:00:00Z', 'user_signed_up', { plan: 'free', company: 'Gamma' }, 'gamma'),
  ev(
    'g1',
    '2024-01-21T09:00:00Z',
    'subscription_started',
    { plan: 'pro', billing_cycle: 'monthly', amount: 20, currency: 'EUR' },
    'gamma',
  ),
  ...['2024-02-05', '2024-02-06', '2024-02-07', '2024-02-28'].map((day) =>
    ev('g1', `${day}T09:00:00Z`, 'user_login', {}, 'gamma'),
  ),
];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  const days = [...new Set(EVENTS.map((e) => e.at.slice(0, 10)))];
  await runWarehouse(db.pool, {
    sources: days.map((day) =>
      fileOf(
        `events/dt=${day}/part-0000.ndjson.gz`,
        EVENTS.filter((e) => e.at.startsWith(day)),
      ),
    ),
    asOf: AS_OF,
  });
});
afterAll(() => db?.drop());

const rows = async (sql: string) => (await db.pool.query(sql)).rows;

test('account health: users, activity, MRR and plans at A, and the score from its four parts', async () => {
  expect(
    await rows(`select account_id, is_personal, account_name, users, active_users_7d, active_users_30d,
      current_mrr::text, currency, current_plan_mix, last_active_date, days_since_last_activity,
      seat_utilization::text, events_last_30_days::integer, events_prior_30_days::integer,
      account_health_score, account_health_category, is_paying
      from analytics.account_health order by account_id`),
  ).toEqual([
    // Breadth 40 x 2/3 = 26.67; recency 30 x (30 - 1) / 30 = 29; trend 3 events (a1 twice, a2 once, in
    // Feb 20 .. Mar 20) against 3 (a2 Feb 15, a3 Feb 1 and 2, in Jan 21 .. Feb 19) = 15; paying 15.
    // 85.67 rounds to 86.
    {
      account_id: 'acme',
      is_personal: false,
      account_name: 'Acme',
      users: 3,
      active_users_7d: 1, // a1 (Mar 14 .. 20)
      active_users_30d: 2, // a1, a2
      current_mrr: '37.00', // a1 12 + a3 25
      currency: 'USD',
      current_plan_mix: 'enterprise 1, free 1, pro 1',
      last_active_date: '2024-03-19',
      days_since_last_activity: 1,
      seat_utilization: '0.6667',
      events_last_30_days: 3,
      events_prior_30_days: 3,
      account_health_score: 86,
      account_health_category: 'healthy',
      is_paying: true,
    },
    // Nobody in 30 days, 38 days since Feb 11: recency 0; no events lately: trend 0; not paying.
    {
      account_id: 'beta',
      is_personal: false,
      account_name: 'Beta',
      users: 1,
      active_users_7d: 0,
      active_users_30d: 0,
      current_mrr: '0.00',
      currency: null,
      current_plan_mix: 'free 1',
      last_active_date: '2024-02-11',
      days_since_last_activity: 38,
      seat_utilization: '0.0000',
      events_last_30_days: 0,
      events_prior_30_days: 2,
      account_health_score: 0,
      account_health_category: 'at_risk',
      is_paying: false,
    },
    // 40 (1 of 1) + 30 x 9 / 30 = 9 (21 days since Feb 28) + 15 x 1 / 4 = 3.75 (Feb 28 against
    // Jan 21, Feb 5, 6, 7) + 15 = 67.75: 68, to watch. Its 20 EUR are not turned into dollars.
    {
      account_id: 'gamma',
      is_personal: false,
      account_name: 'Gamma',
      users: 1,
      active_users_7d: 0,
      active_users_30d: 1,
      current_mrr: '20.00',
      currency: 'EUR',
      current_plan_mix: 'pro 1',
      last_active_date: '2024-02-28',
      days_since_last_activity: 21,
      seat_utilization: '1.0000',
      events_last_30_days: 1,
      events_prior_30_days: 4,
      account_health_score: 68,
      account_health_category: 'watch',
      is_paying: true,
    },
    // 40 + 30 (active on A) + 15 (events now, none before) + 15 = 100.
    {
      account_id: 's1',
      is_personal: true,
      account_name: null,
      users: 1,
      active_users_7d: 1,
      active_users_30d: 1,
      current_mrr: '12.00',
      currency: 'USD',
      current_plan_mix: 'pro 1',
      last_active_date: '2024-03-20',
      days_since_last_activity: 0,
      seat_utilization: '1.0000',
      events_last_30_days: 2,
      events_prior_30_days: 0,
      account_health_score: 100,
      account_health_category: 'healthy',
      is_paying: true,
    },
  ]);
});

test('daily active accounts: an account is active when one of its users is, over the windows of DAU', async () => {
  const byDay = Object.fromEntries(
    (await rows(`select activity_date, daa, waa, maa from analytics.daily_active_accounts`)).map((r) => [
      r.activity_date,
      r,
    ]),
  );
  expect(Object.keys(byDay)).toHaveLength(76); // Jan 5 .. Mar 20: 27 + 29 + 20 days
  expect(byDay['2024-01-05']).toMatchObject({ daa: 1, waa: 1, maa: 1 }); // acme
  // gamma today; acme last on Jan 10, out of Jan 14 .. 20 but in the 30 days.
  expect(byDay['2024-01-20']).toMatchObject({ daa: 1, waa: 1, maa: 2 });
  // beta today; gamma (Feb 5 .. 7) this week; acme (a3, Feb 1 and 2) this month.
  expect(byDay['2024-02-11']).toMatchObject({ daa: 1, waa: 2, maa: 3 });
  // Two users of acme on one day count one account.
  expect(byDay['2024-03-19']).toMatchObject({ daa: 1 });
  // s1 today; acme (Mar 18, 19) this week; gamma (Feb 28) this month; beta not since Feb 11.
  expect(byDay['2024-03-20']).toMatchObject({ daa: 1, waa: 2, maa: 3 });
});

test('account retention: cohorts by the month of the first event, the shape of the user cohorts', async () => {
  expect(
    await rows(`select cohort_month, months_since_first_seen, cohort_size, retained_accounts,
      retention_rate::text, is_complete_month from analytics.account_retention_cohorts order by 1, 2`),
  ).toEqual([
    // January: acme (Jan 5) and gamma (Jan 20); both active in February; in March only acme.
    {
      cohort_month: '2024-01-01',
      months_since_first_seen: 0,
      cohort_size: 2,
      retained_accounts: 2,
      retention_rate: '100.00',
      is_complete_month: true,
    },
    {
      cohort_month: '2024-01-01',
      months_since_first_seen: 1,
      cohort_size: 2,
      retained_accounts: 2,
      retention_rate: '100.00',
      is_complete_month: true,
    },
    {
      cohort_month: '2024-01-01',
      months_since_first_seen: 2,
      cohort_size: 2,
      retained_accounts: 1,
      retention_rate: '50.00',
      is_complete_month: false,
    },
    // February: beta, never back.
    {
      cohort_month: '2024-02-01',
      months_since_first_seen: 0,
      cohort_size: 1,
      retained_accounts: 1,
      retention_rate: '100.00',
      is_complete_month: true,
    },
    {
      cohort_month: '2024-02-01',
      months_since_first_seen: 1,
      cohort_size: 1,
      retained_accounts: 0,
      retention_rate: '0.00',
      is_complete_month: false,
    },
    // March: s1.
    {
      cohort_month: '2024-03-01',
      months_since_first_seen: 0,
      cohort_size: 1,
      retained_accounts: 1,
      retention_rate: '100.00',
      is_complete_month: false,
    },
  ]);
});

test('the published account tables have the columns of the views they copy, in order', async () => {
  for (const view of ['account_health', 'daily_active_accounts', 'account_retention_cohorts'])
    expect(await columnsOf(db.pool, 'analytics', view)).toEqual(
      await columnsOf(db.pool, 'analytics_build', view),
    );
});
