import { refreshAnalyticsView, setAnalyticsAsOf } from '../../../lambdas/warehouse/analytics';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { columnsOf, createTestDatabase, type TestDatabase } from '../../support/database';
import { type FixtureEvent, fileOf } from '../../support/events';
import { cohortFiles } from '../../support/cohort-fixture';
import { REVENUE_AS_OF, revenueFiles } from '../../support/revenue-fixture';

// analytics.mrr_monthly and analytics.trial_to_paid on hand-made customers, every figure worked out by
// hand. The month-end MRR of each account is in test/support/revenue-fixture.ts and, built, in
// revenue-core.test.ts; here they are added up per month and currency.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: revenueFiles(), asOf: REVENUE_AS_OF });
});
afterAll(() => db?.drop());

/**
 * One line per month and currency:
 * month currency | starting +new +reactivation +expansion -contraction -churn = ending |
 * customers new/reactivated/expanded/contracted/churned | paying, arppc | logo churn, GRR, NRR | complete
 */
const mrrLines = async (table: string, pool = db.pool) =>
  (
    await pool.query(
      `select concat(to_char(month, 'YYYY-MM'), ' ', currency, ' | ', starting_mrr, ' +', new_mrr, ' +',
         reactivation_mrr, ' +', expansion_mrr, ' -', contraction_mrr, ' -', churn_mrr, ' = ', ending_mrr, ' | ',
         concat_ws('/', new_customers, reactivated_customers, expanded_customers, contracted_customers,
           churned_customers), ' | ', paying_customers, ' ', coalesce(arppc::text, '-'), ' | ',
         concat_ws(' ', coalesce(logo_churn_rate::text, '-'), coalesce(gross_revenue_retention::text, '-'),
           coalesce(net_revenue_retention::text, '-')), ' | ', case when is_complete then 'complete' else 'partial' end)
         as line
       from ${table} order by currency desc, month`,
    )
  ).rows.map((row) => row.line);

test('MRR movements per month and currency as of A: every column worked by hand', async () => {
  expect(await mrrLines('analytics.mrr_monthly')).toEqual([
    // January: northwind (alice, pro 12) and hank (signed up on pro, 12) are new: 24, 2 paying, 24 / 2 = 12.
    // Nothing paid before January: no logo churn, no retention (their denominators are 0).
    '2024-01 USD | 0.00 +24.00 +0.00 +0.00 -0.00 -0.00 = 24.00 | 2/0/0/0/0 | 2 12.00 | - - - | complete',
    // February: globex (bob 12) and piedpiper (nora 12) new; northwind 12 -> 25 (enterprise annual).
    // 24 + 24 + 13 = 61; 61 / 4 = 15.25; GRR 24 / 24; NRR (24 + 13) / 24 = 1.5417.
    '2024-02 USD | 24.00 +24.00 +0.00 +13.00 -0.00 -0.00 = 61.00 | 2/0/1/0/0 | 4 15.25 | 0.0000 1.0000 1.5417 | complete',
    // March: initech new 9.99 (its explicit mrr); globex 12 -> 54 (+42: carol and dave); northwind
    // 25 -> 10 (-15, pro annual); hank churns 12. 61 + 9.99 + 42 - 15 - 12 = 85.99; 85.99 / 4 = 21.4975
    // -> 21.50; logo churn 1 / 4; GRR (61 - 15 - 12) / 61 = 0.5574; NRR (61 + 42 - 15 - 12) / 61 = 1.2459.
    '2024-03 USD | 61.00 +9.99 +0.00 +42.00 -15.00 -12.00 = 85.99 | 1/0/1/1/1 | 4 21.50 | 0.2500 0.5574 1.2459 | complete',
    // April: umbrella new 8.33 (100 a year); globex 54 -> 72 (+18, carol's upgrade); northwind churns 10.
    // 85.99 + 8.33 + 18 - 10 = 102.32; / 4 = 25.58; logo 1 / 4; GRR 75.99 / 85.99; NRR 93.99 / 85.99.
    '2024-04 USD | 85.99 +8.33 +0.00 +18.00 -0.00 -10.00 = 102.32 | 1/0/1/0/1 | 4 25.58 | 0.2500 0.8837 1.0930 | complete',
    // May: initech 9.99 -> 19.99 (+10, more seats); globex 72 -> 42 (-30, dave cancelled).
    // 102.32 + 10 - 30 = 82.32; / 4 = 20.58; GRR 72.32 / 102.32 = 0.7068; NRR 82.32 / 102.32 = 0.8045.
    '2024-05 USD | 102.32 +0.00 +0.00 +10.00 -30.00 -0.00 = 82.32 | 0/0/1/1/0 | 4 20.58 | 0.0000 0.7068 0.8045 | complete',
    // June, the month of A (Jun 20), at the end of day A: northwind is back (12, a reactivation: it paid
    // before April); frank's cancellation on Jun 25 is after A, so umbrella still pays 8.33.
    // 82.32 + 12 = 94.32; 5 paying, 18.864 -> 18.86; reactivation is not in NRR: 82.32 / 82.32.
    '2024-06 USD | 82.32 +0.00 +12.00 +0.00 -0.00 -0.00 = 94.32 | 0/1/0/0/0 | 5 18.86 | 0.0000 1.0000 1.0000 | partial',
    // EUR, never added to USD: soylent's 11 from February; the enterprise try of March 5 was undone on
    // March 25, so March shows nothing; 11 -> 28 in May, NRR 28 / 11 = 2.5455.
    '2024-02 EUR | 0.00 +11.00 +0.00 +0.00 -0.00 -0.00 = 11.00 | 1/0/0/0/0 | 1 11.00 | - - - | complete',
    '2024-03 EUR | 11.00 +0.00 +0.00 +0.00 -0.00 -0.00 = 11.00 | 0/0/0/0/0 | 1 11.00 | 0.0000 1.0000 1.0000 | complete',
    '2024-04 EUR | 11.00 +0.00 +0.00 +0.00 -0.00 -0.00 = 11.00 | 0/0/0/0/0 | 1 11.00 | 0.0000 1.0000 1.0000 | complete',
    '2024-05 EUR | 11.00 +0.00 +0.00 +17.00 -0.00 -0.00 = 28.00 | 0/0/1/0/0 | 1 28.00 | 0.0000 1.0000 2.5455 | complete',
    '2024-06 EUR | 28.00 +0.00 +0.00 +0.00 -0.00 -0.00 = 28.00 | 0/0/0/0/0 | 1 28.00 | 0.0000 1.0000 1.0000 | partial',
  ]);
  const asOf = await db.pool.query(`select distinct as_of_date from analytics.mrr_monthly`);
  expect(asOf.rows).toEqual([{ as_of_date: REVENUE_AS_OF }]);
});

describe('as of another A', () => {
  afterAll(async () => {
    await setAnalyticsAsOf(db.pool, { asOf: REVENUE_AS_OF });
    await refreshAnalyticsView(db.pool, 'mrr_monthly');
  });

  test('an A inside the history: its month at the end of day A, later months and events left out', async () => {
    await setAnalyticsAsOf(db.pool, { asOf: '2024-03-10' });
    await refreshAnalyticsView(db.pool, 'mrr_monthly');
    expect(await mrrLines('analytics_build.mrr_monthly')).toEqual([
      '2024-01 USD | 0.00 +24.00 +0.00 +0.00 -0.00 -0.00 = 24.00 | 2/0/0/0/0 | 2 12.00 | - - - | complete',
      '2024-02 USD | 24.00 +24.00 +0.00 +13.00 -0.00 -0.00 = 61.00 | 2/0/1/0/0 | 4 15.25 | 0.0000 1.0000 1.5417 | complete',
      // By the end of Mar 10: carol (Mar 1) and dave (Mar 6) at globex, +42; erin's 9.99 from Mar 10 09:00;
      // northwind still 25 (its downgrade is Mar 20), hank still 12 (he cancels Mar 15).
      // 61 + 9.99 + 42 = 112.99; 5 paying, 22.598 -> 22.60; NRR (61 + 42) / 61 = 1.6885.
      '2024-03 USD | 61.00 +9.99 +0.00 +42.00 -0.00 -0.00 = 112.99 | 1/0/1/0/0 | 5 22.60 | 0.0000 1.0000 1.6885 | partial',
      '2024-02 EUR | 0.00 +11.00 +0.00 +0.00 -0.00 -0.00 = 11.00 | 1/0/0/0/0 | 1 11.00 | - - - | complete',
      // soylent's enterprise try (Mar 5, 28) is what is in force at the end of Mar 10.
      '2024-03 EUR | 11.00 +0.00 +0.00 +17.00 -0.00 -0.00 = 28.00 | 0/0/1/0/0 | 1 28.00 | 0.0000 1.0000 2.5455 | partial',
    ]);
  });

  test('an A past the last event: the months between keep their MRR, with no movement', async () => {
    await setAnalyticsAsOf(db.pool, { asOf: '2024-08-10' });
    await refreshAnalyticsView(db.pool, 'mrr_monthly');
    const lines = await mrrLines('analytics_build.mrr_monthly');
    expect(lines.filter((line) => line.includes(' USD ')).slice(5)).toEqual([
      // June now whole: northwind back (+12), umbrella cancelled Jun 25 (-8.33).
      // 82.32 + 12 - 8.33 = 85.99; 4 paying, 21.4975 -> 21.50; logo 1 / 4; GRR = NRR = 73.99 / 82.32 = 0.8988.
      '2024-06 USD | 82.32 +0.00 +12.00 +0.00 -0.00 -8.33 = 85.99 | 0/1/0/0/1 | 4 21.50 | 0.2500 0.8988 0.8988 | complete',
      // No event after June 25: July and August (the month of A) as June ended.
      '2024-07 USD | 85.99 +0.00 +0.00 +0.00 -0.00 -0.00 = 85.99 | 0/0/0/0/0 | 4 21.50 | 0.0000 1.0000 1.0000 | complete',
      '2024-08 USD | 85.99 +0.00 +0.00 +0.00 -0.00 -0.00 = 85.99 | 0/0/0/0/0 | 4 21.50 | 0.0000 1.0000 1.0000 | partial',
    ]);
    expect(lines.filter((line) => line.includes(' EUR ')).slice(4)).toEqual([
      '2024-06 EUR | 28.00 +0.00 +0.00 +0.00 -0.00 -0.00 = 28.00 | 0/0/0/0/0 | 1 28.00 | 0.0000 1.0000 1.0000 | complete',
      '2024-07 EUR | 28.00 +0.00 +0.00 +0.00 -0.00 -0.00 = 28.00 | 0/0/0/0/0 | 1 28.00 | 0.0000 1.0000 1.0000 | complete',
      '2024-08 EUR | 28.00 +0.00 +0.00 +0.00 -0.00 -0.00 = 28.00 | 0/0/0/0/0 | 1 28.00 | 0.0000 1.0000 1.0000 | partial',
    ]);
  });

  test('an A before any MRR: no rows', async () => {
    await setAnalyticsAsOf(db.pool, { asOf: '2024-01-07' });
    await refreshAnalyticsView(db.pool, 'mrr_monthly');
    expect(await mrrLines('analytics_build.mrr_monthly')).toEqual([]);
  });
});

test('seed-format files (no account_id, no amounts) get their MRR from the price list', async () => {
  // test/support/cohort-fixture.ts, A = 2024-03-15: u2 signs up on pro on Jan 20 (12, a one-person
  // account); u1 subscribes to pro monthly on Feb 5 (12) and cancels on Mar 1.
  const seed = await createTestDatabase();
  try {
    await runWarehouse(seed.pool, { sources: cohortFiles(), asOf: '2024-03-15' });
    expect(await mrrLines('analytics.mrr_monthly', seed.pool)).toEqual([
      '2024-01 USD | 0.00 +12.00 +0.00 +0.00 -0.00 -0.00 = 12.00 | 1/0/0/0/0 | 1 12.00 | - - - | complete',
      // 12 + 12 = 24; NRR 12 / 12.
      '2024-02 USD | 12.00 +12.00 +0.00 +0.00 -0.00 -0.00 = 24.00 | 1/0/0/0/0 | 2 12.00 | 0.0000 1.0000 1.0000 | complete',
      // u1 churns: 24 - 12 = 12; logo churn 1 / 2; GRR = NRR = 12 / 24.
      '2024-03 USD | 24.00 +0.00 +0.00 +0.00 -0.00 -12.00 = 12.00 | 0/0/0/0/1 | 1 12.00 | 0.5000 0.5000 0.5000 | partial',
    ]);
  } finally {
    await seed.drop();
  }
});

describe('trial to paid', () => {
  // Signups in January and February 2024, A = 2024-03-20. Each conversion is the user's first
  // subscription state worth more than 0; days are whole UTC days from the signup date.
  const AS_OF = '2024-03-20';
  const signup = (user: string, at: string, plan = 'free'): FixtureEvent => ({
    id: `${user}-signup`,
    type: 'user_signed_up',
    at,
    user,
    properties: { plan },
  });
  const start = (user: string, at: string, properties: Record<string, unknown> = {}): FixtureEvent => ({
    id: `${user}-start-${at.slice(0, 10)}`,
    type: 'subscription_started',
    at,
    user,
    properties: { plan: 'pro', billing_cycle: 'monthly', ...properties },
  });
  const EVENTS: FixtureEvent[] = [
    signup('t1', '2024-01-01T10:00:00Z'),
    start('t1', '2024-01-15T09:00:00Z'), // 14 days: within 14
    signup('t2', '2024-01-01T10:00:00Z'),
    start('t2', '2024-01-16T09:00:00Z'), // 15 days: within 30, not 14
    signup('t3', '2024-01-01T10:00:00Z'),
    start('t3', '2024-01-31T23:00:00Z'), // 30 days: within 30
    signup('t4', '2024-01-01T10:00:00Z'),
    start('t4', '2024-02-01T00:00:00Z'), // 31 days: by A only
    signup('t5', '2024-01-02T10:00:00Z'), // never pays
    signup('t6', '2024-01-03T10:00:00Z', 'pro'), // signs up paying: day 0
    signup('t7', '2024-01-04T10:00:00Z'),
    // A free trial of pro (an explicit mrr of 0), paid from Jan 20: 16 days.
    start('t7', '2024-01-04T10:05:00Z', { mrr: 0 }),
    { ...start('t7', '2024-01-20T10:00:00Z'), type: 'subscription_upgraded' },
    signup('t8', '2024-02-20T10:00:00Z'),
    start('t8', '2024-03-10T10:00:00Z'), // 19 days
    signup('t9', '2024-02-25T10:00:00Z'),
    start('t9', '2024-03-21T10:00:00Z'), // 25 days, but after A: not yet
  ];

  let trial: TestDatabase;
  beforeAll(async () => {
    trial = await createTestDatabase();
    const days = [...new Set(EVENTS.map((e) => e.at.slice(0, 10)))];
    await runWarehouse(trial.pool, {
      sources: days.map((day) =>
        fileOf(
          `events/dt=${day}/part-0000.ndjson.gz`,
          EVENTS.filter((e) => e.at.startsWith(day)),
        ),
      ),
      asOf: AS_OF,
    });
  });
  afterAll(() => trial?.drop());

  test('conversions within 14 and 30 days and by A, the median, the rates, and maturity', async () => {
    expect(
      (
        await trial.pool.query(
          `select cohort_month, cohort_size, converted_14d, converted_30d, converted_by_as_of,
             median_days_to_convert::text, conversion_rate_14d::text, conversion_rate_30d::text,
             conversion_rate_by_as_of::text, is_mature, as_of_date
           from analytics.trial_to_paid order by 1`,
        )
      ).rows,
    ).toEqual([
      {
        cohort_month: '2024-01-01',
        cohort_size: 7, // t1 .. t7
        converted_14d: 2, // t6 (0 days), t1 (14)
        converted_30d: 5, // and t2 (15), t7 (16), t3 (30)
        converted_by_as_of: 6, // and t4 (31); t5 never
        median_days_to_convert: '15.5', // of 0, 14, 15, 16, 30, 31: (15 + 16) / 2
        conversion_rate_14d: '28.57', // 2 / 7
        conversion_rate_30d: '71.43', // 5 / 7
        conversion_rate_by_as_of: '85.71', // 6 / 7
        is_mature: true, // last signup Jan 4, + 30 = Feb 3 <= Mar 20
        as_of_date: AS_OF,
      },
      {
        cohort_month: '2024-02-01',
        cohort_size: 2,
        converted_14d: 0,
        converted_30d: 1, // t8 (19); t9 pays only after A
        converted_by_as_of: 1,
        median_days_to_convert: '19.0',
        conversion_rate_14d: '0.00',
        conversion_rate_30d: '50.00',
        conversion_rate_by_as_of: '50.00',
        is_mature: false, // last signup Feb 25, + 30 = Mar 26 > Mar 20
        as_of_date: AS_OF,
      },
    ]);
  });
});

test('the published tables have the columns of the views they copy, in order', async () => {
  for (const view of ['mrr_monthly', 'trial_to_paid'])
    expect(await columnsOf(db.pool, 'analytics', view)).toEqual(
      await columnsOf(db.pool, 'analytics_build', view),
    );
});
