import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { cohortFiles } from '../../support/cohort-fixture';
import { createTestDatabase, type TestDatabase } from '../../support/database';

// Every expected value below was worked out by hand from test/support/cohort-fixture.ts.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: cohortFiles(), asOf: '2024-03-15' });
});
afterAll(() => db.drop());

const rows = async (sql: string) => (await db.pool.query(sql)).rows;

test('retention: monthly cohorts, share active in each later month, incomplete months flagged', async () => {
  expect(
    await rows(`select cohort_month, months_since_signup, activity_month, cohort_size, retained_users,
      retention_rate::text, is_complete_month from analytics.user_retention_cohorts order by 1, 2`),
  ).toEqual([
    // January: u1 and u2. Only u1 comes back, in February and March.
    {
      cohort_month: '2024-01-01',
      months_since_signup: 0,
      activity_month: '2024-01-01',
      cohort_size: 2,
      retained_users: 2,
      retention_rate: '100.00',
      is_complete_month: true,
    },
    {
      cohort_month: '2024-01-01',
      months_since_signup: 1,
      activity_month: '2024-02-01',
      cohort_size: 2,
      retained_users: 1,
      retention_rate: '50.00',
      is_complete_month: true,
    },
    {
      cohort_month: '2024-01-01',
      months_since_signup: 2,
      activity_month: '2024-03-01',
      cohort_size: 2,
      retained_users: 1,
      retention_rate: '50.00',
      is_complete_month: false,
    },
    // February: u3, and u4 whose first event stands in for its sign-up. u3 returns in March.
    {
      cohort_month: '2024-02-01',
      months_since_signup: 0,
      activity_month: '2024-02-01',
      cohort_size: 2,
      retained_users: 2,
      retention_rate: '100.00',
      is_complete_month: true,
    },
    {
      cohort_month: '2024-02-01',
      months_since_signup: 1,
      activity_month: '2024-03-01',
      cohort_size: 2,
      retained_users: 1,
      retention_rate: '50.00',
      is_complete_month: false,
    },
  ]);
});

test('feature adoption: uses, users, durations and the tried / repeated / habit funnel', async () => {
  expect(
    await rows(`select feature_id, feature_name, is_premium, total_uses, unique_users, avg_duration_seconds::text,
      first_used_at, last_used_at, adoption_rate::text, tried_users, repeated_users, habit_users
      from analytics.feature_adoption_funnel`),
  ).toEqual([
    {
      feature_id: 'templates',
      feature_name: 'Templates',
      is_premium: false,
      total_uses: 7, // u1 twice on one day, u2 on two days in two weeks, u3 on three days in three weeks
      unique_users: 3,
      avg_duration_seconds: '30.0', // (20+20+40+60+10+30) / 6 uses that reported one
      first_used_at: new Date('2024-01-10T10:05:00Z'),
      last_used_at: new Date('2024-02-12T09:30:00Z'),
      adoption_rate: '75.00', // 3 of the 4 users active by A
      tried_users: 3,
      repeated_users: 2, // u2 and u3
      habit_users: 1, // u3: weeks of Jan 29, Feb 5 and Feb 12
    },
  ]);
});

test('daily active users: DAU, WAU over D-6..D, MAU over D-29..D, stickiness', async () => {
  const byDay = Object.fromEntries(
    (
      await rows(`select activity_date, dau, wau, mau, stickiness::text from analytics.daily_active_users`)
    ).map((r) => [r.activity_date, r]),
  );
  expect(Object.keys(byDay)).toHaveLength(66); // Jan 10 .. Mar 15, days without activity included
  expect(byDay['2024-01-10']).toMatchObject({ dau: 1, wau: 1, mau: 1, stickiness: '1.0000' });
  expect(byDay['2024-01-25']).toMatchObject({ dau: 0, wau: 1, mau: 2, stickiness: '0.0000' });
  expect(byDay['2024-02-10']).toMatchObject({ dau: 1, wau: 3, mau: 4, stickiness: '0.2500' });
  expect(byDay['2024-03-15']).toMatchObject({ dau: 0, wau: 1, mau: 2 });
});

test('churn risk: recency category and score from recency, trend and plan, as of A', async () => {
  expect(
    await rows(`select user_id, current_plan, subscription_status, last_active_date, days_since_last_activity,
      lifetime_events, events_last_30_days, events_prior_30_days, churn_risk_category, churn_risk_score
      from analytics.churn_risk_scores order by user_id`),
  ).toEqual([
    // 14 days -> 14 points, flat trend -> 0, cancelled -> 15
    {
      user_id: 'u1',
      current_plan: 'free',
      subscription_status: 'cancelled',
      last_active_date: '2024-03-01',
      days_since_last_activity: 14,
      lifetime_events: 9,
      events_last_30_days: 2,
      events_prior_30_days: 2,
      churn_risk_category: 'low',
      churn_risk_score: 29,
    },
    // 53 -> 53, no events since the prior 30 days -> 25, pro -> 5
    {
      user_id: 'u2',
      current_plan: 'pro',
      subscription_status: 'active',
      last_active_date: '2024-01-22',
      days_since_last_activity: 53,
      lifetime_events: 5,
      events_last_30_days: 0,
      events_prior_30_days: 5,
      churn_risk_category: 'high',
      churn_risk_score: 83,
    },
    // 1 -> 1, 4 -> 1 event is a 75% fall -> 18.75, free -> 10; 29.75 rounds to 30
    {
      user_id: 'u3',
      current_plan: 'free',
      subscription_status: 'active',
      last_active_date: '2024-03-14',
      days_since_last_activity: 1,
      lifetime_events: 5,
      events_last_30_days: 1,
      events_prior_30_days: 4,
      churn_risk_category: 'active',
      churn_risk_score: 30,
    },
    // 34 -> 34, fall to nothing -> 25, free -> 10
    {
      user_id: 'u4',
      current_plan: 'free',
      subscription_status: 'active',
      last_active_date: '2024-02-10',
      days_since_last_activity: 34,
      lifetime_events: 2,
      events_last_30_days: 0,
      events_prior_30_days: 2,
      churn_risk_category: 'high',
      churn_risk_score: 69,
    },
  ]);
});

test('dim_users keeps a version per plan change, and signup falls back to the first event', async () => {
  expect(
    await rows(`select user_id, version_number, valid_from, valid_to, is_current, plan, subscription_status, billing_cycle,
      signup_date, signup_source from core.dim_users order by user_id, version_number`),
  ).toEqual([
    {
      user_id: 'u1',
      version_number: 1,
      valid_from: new Date('2024-01-10T10:00:00Z'),
      valid_to: new Date('2024-02-05T11:05:00Z'),
      is_current: false,
      plan: 'free',
      subscription_status: 'active',
      billing_cycle: null,
      signup_date: '2024-01-10',
      signup_source: 'user_signed_up',
    },
    {
      user_id: 'u1',
      version_number: 2,
      valid_from: new Date('2024-02-05T11:05:00Z'),
      valid_to: new Date('2024-03-01T12:05:00Z'),
      is_current: false,
      plan: 'pro',
      subscription_status: 'active',
      billing_cycle: 'monthly',
      signup_date: '2024-01-10',
      signup_source: 'user_signed_up',
    },
    {
      user_id: 'u1',
      version_number: 3,
      valid_from: new Date('2024-03-01T12:05:00Z'),
      valid_to: null,
      is_current: true,
      plan: 'free',
      subscription_status: 'cancelled',
      billing_cycle: null,
      signup_date: '2024-01-10',
      signup_source: 'user_signed_up',
    },
    {
      user_id: 'u2',
      version_number: 1,
      valid_from: new Date('2024-01-20T08:00:00Z'),
      valid_to: null,
      is_current: true,
      plan: 'pro',
      subscription_status: 'active',
      billing_cycle: null,
      signup_date: '2024-01-20',
      signup_source: 'user_signed_up',
    },
    {
      user_id: 'u3',
      version_number: 1,
      valid_from: new Date('2024-02-03T09:00:00Z'),
      valid_to: null,
      is_current: true,
      plan: 'free',
      subscription_status: 'active',
      billing_cycle: null,
      signup_date: '2024-02-03',
      signup_source: 'user_signed_up',
    },
    {
      user_id: 'u4',
      version_number: 1,
      valid_from: new Date('2024-02-10T16:00:00Z'),
      valid_to: null,
      is_current: true,
      plan: 'free',
      subscription_status: 'active',
      billing_cycle: null,
      signup_date: '2024-02-10',
      signup_source: 'first_event',
    },
  ]);
});

test('daily user activity counts events, logins, documents, active seconds and features', async () => {
  expect(
    await rows(`select user_id, activity_date, event_count, login_count, documents_created, documents_edited,
      active_seconds, distinct_features from core.fact_daily_user_activity where user_id in ('u1', 'u2') order by 1, 2`),
  ).toEqual([
    {
      user_id: 'u1',
      activity_date: '2024-01-10',
      event_count: 5,
      login_count: 1,
      documents_created: 1,
      documents_edited: 0,
      active_seconds: 40,
      distinct_features: 1,
    },
    {
      user_id: 'u1',
      activity_date: '2024-02-05',
      event_count: 2,
      login_count: 1,
      documents_created: 0,
      documents_edited: 0,
      active_seconds: 0,
      distinct_features: 0,
    },
    {
      user_id: 'u1',
      activity_date: '2024-03-01',
      event_count: 2,
      login_count: 1,
      documents_created: 0,
      documents_edited: 0,
      active_seconds: 0,
      distinct_features: 0,
    },
    {
      user_id: 'u2',
      activity_date: '2024-01-20',
      event_count: 2,
      login_count: 0,
      documents_created: 0,
      documents_edited: 0,
      active_seconds: 40,
      distinct_features: 1,
    },
    {
      user_id: 'u2',
      activity_date: '2024-01-22',
      event_count: 3,
      login_count: 1,
      documents_created: 0,
      documents_edited: 1,
      active_seconds: 180,
      distinct_features: 1,
    },
  ]);
});

test('an earlier as-of date gives the answers of that day: the plan then, and nothing after it', async () => {
  await runWarehouse(db.pool, { asOf: '2024-02-20' });
  expect(await rows(`select user_id, current_plan from analytics.churn_risk_scores order by 1`)).toEqual([
    { user_id: 'u1', current_plan: 'pro' },
    { user_id: 'u2', current_plan: 'pro' },
    { user_id: 'u3', current_plan: 'free' },
    { user_id: 'u4', current_plan: 'free' },
  ]);
  expect(
    await rows(
      `select cohort_month, months_since_signup, retained_users from analytics.user_retention_cohorts order by 1, 2`,
    ),
  ).toEqual([
    { cohort_month: '2024-01-01', months_since_signup: 0, retained_users: 2 },
    { cohort_month: '2024-01-01', months_since_signup: 1, retained_users: 1 },
    { cohort_month: '2024-02-01', months_since_signup: 0, retained_users: 2 },
  ]);
  // Without a date, A is the latest event date loaded.
  const summary = await runWarehouse(db.pool);
  expect(summary.asOf).toBe('2024-03-14');
});

test("the original project's README queries run unchanged", async () => {
  const adoption =
    await rows(`SELECT feature_name, total_uses, unique_users, ROUND(total_uses::numeric / unique_users, 1) AS avg_uses_per_user
    FROM analytics.feature_adoption_funnel ORDER BY total_uses DESC;`);
  expect(adoption).toEqual([
    { feature_name: 'Templates', total_uses: 7, unique_users: 3, avg_uses_per_user: '2.3' },
  ]);
  const churn =
    await rows(`SELECT churn_risk_category, COUNT(*) AS user_count FROM analytics.churn_risk_scores
    WHERE last_active_date >= '2024-01-01' GROUP BY churn_risk_category;`);
  expect(churn.length).toBeGreaterThan(0);
  const layers =
    await rows(`SELECT 'raw' AS layer, COUNT(*) FROM raw.events UNION ALL SELECT 'staging', COUNT(*) FROM staging.events
    UNION ALL SELECT 'core', COUNT(*) FROM core.fact_events;`);
  expect(layers.map((r) => Number(r.count))).toEqual([21, 21, 21]);
});
