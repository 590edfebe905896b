import { CORE_MODELS } from '../../../lambdas/plan';
import { buildCoreModel, readPendingDates } from '../../../lambdas/warehouse/core';
import { loadSchema, migrate } from '../../../lambdas/warehouse/migrate';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { listSeeds, seedOf } from '../../../lambdas/warehouse/seeds';
import {
  CORE_AND_ANALYTICS_TABLES,
  createTestDatabase,
  snapshotTables,
  type TestDatabase,
} from '../../support/database';
import { fileOf } from '../../support/events';
import { REVENUE_AS_OF, REVENUE_DAYS, revenueFiles } from '../../support/revenue-fixture';

// The core revenue models on the customers of test/support/revenue-fixture.ts, every figure worked out
// by hand from the shipped price list: pro 12 a month or 120 a year, enterprise 30 or 300, USD.

let db: TestDatabase;
let full: Record<string, unknown[]>;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: revenueFiles(), asOf: REVENUE_AS_OF });
  full = await snapshotTables(db.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true });
});
afterAll(() => db?.drop());

const rows = async (sql: string, pool = db.pool) => (await pool.query(sql)).rows;

/** One line per subscription change: what a reader checks against the story in the fixture. */
const changes = (pool = db.pool) =>
  rows(
    `select concat_ws(' ', event_id, account_id || case when is_personal then ' (personal)' else '' end,
       coalesce(from_plan, '-') || '>' || to_plan, coalesce(to_billing_cycle, '-'),
       from_mrr || '>' || to_mrr, coalesce(to_currency, '-'), price_source,
       account_mrr_before || '>' || account_mrr_after, movement) as line
     from core.fact_subscription_changes order by account_id, changed_at, user_change_number`,
    pool,
  ).then((result) => result.map((row) => row.line));

const monthly = (pool = db.pool) =>
  rows(
    `select concat_ws(' ', account_id, currency, to_char(month, 'YYYY-MM'), previous_mrr || '>' || mrr,
       movement, movement_mrr, array_to_string(paying_user_ids, ',')) as line
     from core.fact_customer_mrr_monthly order by account_id, currency, month`,
    pool,
  ).then((result) => result.map((row) => row.line));

test('each account is the one on its users latest event, else the user alone; the account counts its users now', async () => {
  expect(
    await rows(`select user_id, account_id, is_personal from core.dim_user_accounts order by 1`),
  ).toEqual([
    { user_id: 'alice', account_id: 'northwind', is_personal: false },
    { user_id: 'bob', account_id: 'globex', is_personal: false },
    { user_id: 'carol', account_id: 'globex', is_personal: false },
    // Only properties.account_id on dave's events.
    { user_id: 'dave', account_id: 'globex', is_personal: false },
    { user_id: 'erin', account_id: 'initech', is_personal: false },
    { user_id: 'frank', account_id: 'umbrella', is_personal: false },
    { user_id: 'gina', account_id: 'soylent', is_personal: false },
    // No account_id anywhere: a one-person account.
    { user_id: 'hank', account_id: 'hank', is_personal: true },
    // hooli on her sign-up and subscription, piedpiper on her latest event.
    { user_id: 'nora', account_id: 'piedpiper', is_personal: false },
  ]);
  expect(
    await rows(`select account_id, is_personal, account_name, first_seen_date, users
                from core.dim_accounts order by 1`),
  ).toEqual([
    // carol's sign-up (Feb 10) is globex's latest; its first event is bob's sign-up.
    {
      account_id: 'globex',
      is_personal: false,
      account_name: 'Globex Corporation',
      first_seen_date: '2024-02-01',
      users: 3,
    },
    { account_id: 'hank', is_personal: true, account_name: null, first_seen_date: '2024-01-20', users: 1 },
    {
      account_id: 'initech',
      is_personal: false,
      account_name: 'Initech',
      first_seen_date: '2024-03-01',
      users: 1,
    },
    {
      account_id: 'northwind',
      is_personal: false,
      account_name: 'Northwind Traders',
      first_seen_date: '2024-01-05',
      users: 1,
    },
    // The company nora named when she signed up; hooli has no users left and no row.
    {
      account_id: 'piedpiper',
      is_personal: false,
      account_name: 'Hooli',
      first_seen_date: '2024-02-01',
      users: 1,
    },
    {
      account_id: 'soylent',
      is_personal: false,
      account_name: 'Soylent',
      first_seen_date: '2024-02-19',
      users: 1,
    },
    {
      account_id: 'umbrella',
      is_personal: false,
      account_name: 'Umbrella',
      first_seen_date: '2024-04-14',
      users: 1,
    },
  ]);
});

test('one row per subscription change: the user before and after, priced, and what it did to the account', async () => {
  // event, account, plan, cycle, the user's MRR, currency, price source, the account's MRR, movement
  expect(await changes()).toEqual([
    'bob-signup globex ->free monthly 0.00>0.00 USD free 0.00>0.00 unchanged',
    'bob-start globex free>pro monthly 0.00>12.00 USD price_list 0.00>12.00 new',
    'carol-signup globex ->free monthly 0.00>0.00 USD free 12.00>12.00 unchanged',
    // A second seat expands the account: 12 + 12.
    'carol-start globex free>pro monthly 0.00>12.00 USD price_list 12.00>24.00 expansion',
    'dave-signup globex ->free monthly 0.00>0.00 USD free 24.00>24.00 unchanged',
    'dave-start globex free>enterprise monthly 0.00>30.00 USD price_list 24.00>54.00 expansion',
    // carol's upgrade keeps her monthly cycle: 12 -> 30, the account 54 - 12 + 30 = 72.
    'carol-upgrade globex pro>enterprise monthly 12.00>30.00 USD price_list 54.00>72.00 expansion',
    // A seat cancelled while two still pay: 72 - 30 = 42.
    'dave-cancel globex enterprise>free - 30.00>0.00 USD cancelled 72.00>42.00 contraction',
    // A sign-up on pro opens the subscription, priced from the list.
    'hank-signup hank (personal) ->pro monthly 0.00>12.00 USD price_list 0.00>12.00 new',
    'hank-cancel hank (personal) pro>free - 12.00>0.00 USD cancelled 12.00>0.00 churn',
    'erin-signup initech ->free monthly 0.00>0.00 USD free 0.00>0.00 unchanged',
    // The explicit mrr wins over the list's 12; a new mrr on the same plan is an expansion.
    'erin-start initech free>pro monthly 0.00>9.99 USD mrr 0.00>9.99 new',
    'erin-seats initech pro>pro monthly 9.99>19.99 USD mrr 9.99>19.99 expansion',
    'alice-signup northwind ->free monthly 0.00>0.00 USD free 0.00>0.00 unchanged',
    'alice-start northwind free>pro monthly 0.00>12.00 USD price_list 0.00>12.00 new',
    // Enterprise annual: 300 / 12 = 25.
    'alice-upgrade northwind pro>enterprise annual 12.00>25.00 USD price_list 12.00>25.00 expansion',
    // No billing_cycle on the downgrade: the annual one is kept, 120 / 12 = 10.
    'alice-downgrade northwind enterprise>pro annual 25.00>10.00 USD price_list 25.00>10.00 contraction',
    'alice-cancel northwind pro>free - 10.00>0.00 USD cancelled 10.00>0.00 churn',
    // Back after paying before: a reactivation.
    'alice-back northwind free>pro monthly 0.00>12.00 USD price_list 0.00>12.00 reactivation',
    'nora-signup piedpiper ->free monthly 0.00>0.00 USD free 0.00>0.00 unchanged',
    'nora-start piedpiper free>pro monthly 0.00>12.00 USD price_list 0.00>12.00 new',
    'gina-signup soylent ->free monthly 0.00>0.00 USD free 0.00>0.00 unchanged',
    // An amount a month in EUR; the later changes keep EUR and the monthly cycle.
    'gina-start soylent free>pro monthly 0.00>11.00 EUR amount 0.00>11.00 new',
    'gina-try soylent pro>enterprise monthly 11.00>28.00 EUR amount 11.00>28.00 expansion',
    'gina-undo soylent enterprise>pro monthly 28.00>11.00 EUR amount 28.00>11.00 contraction',
    'gina-upgrade soylent pro>enterprise monthly 11.00>28.00 EUR amount 11.00>28.00 expansion',
    'frank-signup umbrella ->free monthly 0.00>0.00 USD free 0.00>0.00 unchanged',
    // An amount of 100 a year: 100 / 12 = 8.333..., 8.33 to the cent.
    'frank-start umbrella free>pro annual 0.00>8.33 USD amount 0.00>8.33 new',
    'frank-cancel umbrella pro>free - 8.33>0.00 USD cancelled 8.33>0.00 churn',
  ]);
});

test('the monthly MRR of each account and currency, from month-end snapshots', async () => {
  // account, currency, month, MRR at the end of the month before > at its end, movement, amount, who pays
  expect(await monthly()).toEqual([
    'globex USD 2024-02 0.00>12.00 new 12.00 bob',
    // carol from Mar 1 00:00 (March's), dave from Mar 6: 12 + 12 + 30.
    'globex USD 2024-03 12.00>54.00 expansion 42.00 bob,carol,dave',
    'globex USD 2024-04 54.00>72.00 expansion 18.00 bob,carol,dave',
    'globex USD 2024-05 72.00>42.00 contraction 30.00 bob,carol',
    'globex USD 2024-06 42.00>42.00 none 0.00 bob,carol',
    'hank USD 2024-01 0.00>12.00 new 12.00 hank',
    'hank USD 2024-02 12.00>12.00 none 0.00 hank',
    'hank USD 2024-03 12.00>0.00 churn 12.00 ',
    'initech USD 2024-03 0.00>9.99 new 9.99 erin',
    'initech USD 2024-04 9.99>9.99 none 0.00 erin',
    'initech USD 2024-05 9.99>19.99 expansion 10.00 erin',
    'initech USD 2024-06 19.99>19.99 none 0.00 erin',
    'northwind USD 2024-01 0.00>12.00 new 12.00 alice',
    'northwind USD 2024-02 12.00>25.00 expansion 13.00 alice',
    'northwind USD 2024-03 25.00>10.00 contraction 15.00 alice',
    'northwind USD 2024-04 10.00>0.00 churn 10.00 ',
    // May: 0 at both ends, so no row. June (the month of A, whole here): paid before, so reactivation.
    'northwind USD 2024-06 0.00>12.00 reactivation 12.00 alice',
    // nora's MRR counts for piedpiper from February, although her events then said hooli.
    'piedpiper USD 2024-02 0.00>12.00 new 12.00 nora',
    'piedpiper USD 2024-03 12.00>12.00 none 0.00 nora',
    'piedpiper USD 2024-04 12.00>12.00 none 0.00 nora',
    'piedpiper USD 2024-05 12.00>12.00 none 0.00 nora',
    'piedpiper USD 2024-06 12.00>12.00 none 0.00 nora',
    'soylent EUR 2024-02 0.00>11.00 new 11.00 gina',
    // 28 on Mar 5, 11 again on Mar 25: both month-ends 11, so nothing moved.
    'soylent EUR 2024-03 11.00>11.00 none 0.00 gina',
    'soylent EUR 2024-04 11.00>11.00 none 0.00 gina',
    'soylent EUR 2024-05 11.00>28.00 expansion 17.00 gina',
    'soylent EUR 2024-06 28.00>28.00 none 0.00 gina',
    'umbrella USD 2024-04 0.00>8.33 new 8.33 frank',
    'umbrella USD 2024-05 8.33>8.33 none 0.00 frank',
    // The core's June ends after frank's cancellation on Jun 25 (A is for the views).
    'umbrella USD 2024-06 8.33>0.00 churn 8.33 ',
  ]);
});

test('a late file for an old month rebuilds that customer from that month only, and ends as a full rebuild', async () => {
  const late = '2024-02-15'; // alice's upgrade, the only event that day
  const inc = await createTestDatabase();
  try {
    await runWarehouse(inc.pool, {
      sources: revenueFiles(REVENUE_DAYS.filter((day) => day !== late)),
      asOf: REVENUE_AS_OF,
    });
    // Without the upgrade alice stays on pro monthly: 12 until she cancels.
    expect((await monthly(inc.pool)).filter((line) => line.startsWith('northwind'))).toEqual([
      'northwind USD 2024-01 0.00>12.00 new 12.00 alice',
      'northwind USD 2024-02 12.00>12.00 none 0.00 alice',
      'northwind USD 2024-03 12.00>12.00 none 0.00 alice',
      'northwind USD 2024-04 12.00>0.00 churn 12.00 ',
      'northwind USD 2024-06 0.00>12.00 reactivation 12.00 alice',
    ]);
    // Which row versions exist (xmin): a row rewritten by the late run gets a new one.
    const versions = async () =>
      Object.fromEntries(
        (
          await rows(
            `select account_id || ' ' || currency || ' ' || to_char(month, 'YYYY-MM') as k, xmin::text as v
             from core.fact_customer_mrr_monthly`,
            inc.pool,
          )
        ).map((row) => [row.k, row.v]),
      );
    const before = await versions();

    const run = await runWarehouse(inc.pool, { sources: revenueFiles([late]), asOf: REVENUE_AS_OF });
    expect(run.models.find((m) => m.model === 'fact_customer_mrr_monthly')).toMatchObject({ dates: 1 });
    const after = await versions();
    const rewritten = Object.keys(after).filter((key) => after[key] !== before[key]);
    // February and every month after it, for northwind alone; its January and every other account untouched.
    expect(rewritten.sort()).toEqual([
      'northwind USD 2024-02',
      'northwind USD 2024-03',
      'northwind USD 2024-04',
      'northwind USD 2024-06',
    ]);
    expect(await snapshotTables(inc.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true })).toEqual(full);
  } finally {
    await inc.drop();
  }
});

test('a user who moves to another account takes all her MRR history there; both accounts are rebuilt', async () => {
  const move = '2024-05-03'; // nora's login that names piedpiper
  const inc = await createTestDatabase();
  try {
    await runWarehouse(inc.pool, {
      sources: revenueFiles(REVENUE_DAYS.filter((day) => day !== move)),
      asOf: REVENUE_AS_OF,
    });
    expect((await monthly(inc.pool)).filter((line) => /^(hooli|piedpiper)/.test(line))).toEqual([
      'hooli USD 2024-02 0.00>12.00 new 12.00 nora',
      'hooli USD 2024-03 12.00>12.00 none 0.00 nora',
      'hooli USD 2024-04 12.00>12.00 none 0.00 nora',
      'hooli USD 2024-05 12.00>12.00 none 0.00 nora',
      'hooli USD 2024-06 12.00>12.00 none 0.00 nora',
    ]);
    await runWarehouse(inc.pool, { sources: revenueFiles([move]), asOf: REVENUE_AS_OF });
    expect(await snapshotTables(inc.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true })).toEqual(full);
  } finally {
    await inc.drop();
  }
});

test('one run per month, each month arriving after the one before, ends as the run of everything at once', async () => {
  const inc = await createTestDatabase();
  try {
    for (const month of [...new Set(REVENUE_DAYS.map((day) => day.slice(0, 7)))])
      await runWarehouse(inc.pool, {
        sources: revenueFiles(REVENUE_DAYS.filter((day) => day.startsWith(month))),
        asOf: REVENUE_AS_OF,
      });
    expect(await snapshotTables(inc.pool, CORE_AND_ANALYTICS_TABLES, { ignoreLineage: true })).toEqual(full);
  } finally {
    await inc.drop();
  }
});

test('an edited price list prices all history again on the next run', async () => {
  const copy = await createTestDatabase();
  try {
    await runWarehouse(copy.pool, { sources: revenueFiles(), asOf: REVENUE_AS_OF });
    const shipped = listSeeds().find((seed) => seed.name === 'price_list');
    if (!shipped) throw new Error('no price list');
    const edited = {
      ...loadSchema(),
      seeds: [seedOf('price_list', shipped.text.replace('pro,monthly,12,USD', 'pro,monthly,15,USD'))],
    };
    await migrate(copy.pool, edited);
    expect(await readPendingDates(copy.pool)).toEqual(REVENUE_DAYS);
    // The core rebuilt as a run does (a run would first load the shipped list again: it migrates).
    for (const model of CORE_MODELS) await buildCoreModel(copy.pool, model);
    // Every list-priced pro monthly subscription costs 15 now, back to January; explicit prices keep theirs.
    expect((await monthly(copy.pool)).filter((line) => /^(hank|initech|northwind)/.test(line))).toEqual([
      'hank USD 2024-01 0.00>15.00 new 15.00 hank',
      'hank USD 2024-02 15.00>15.00 none 0.00 hank',
      'hank USD 2024-03 15.00>0.00 churn 15.00 ',
      'initech USD 2024-03 0.00>9.99 new 9.99 erin',
      'initech USD 2024-04 9.99>9.99 none 0.00 erin',
      'initech USD 2024-05 9.99>19.99 expansion 10.00 erin',
      'initech USD 2024-06 19.99>19.99 none 0.00 erin',
      'northwind USD 2024-01 0.00>15.00 new 15.00 alice',
      'northwind USD 2024-02 15.00>25.00 expansion 10.00 alice',
      'northwind USD 2024-03 25.00>10.00 contraction 15.00 alice',
      'northwind USD 2024-04 10.00>0.00 churn 10.00 ',
      'northwind USD 2024-06 0.00>15.00 reactivation 15.00 alice',
    ]);
  } finally {
    await copy.drop();
  }
});

test("a user's account on a day is that of the day's latest event naming one; a tie goes to the greatest event_id", async () => {
  const day = await createTestDatabase();
  try {
    const login = (id: string, at: string, user: string, account?: string) => ({
      id,
      type: 'user_login',
      at,
      user,
      ...(account === undefined ? {} : { account }),
    });
    await runWarehouse(day.pool, {
      sources: [
        fileOf('events/dt=2024-03-01/part-0000.ndjson.gz', [
          login('a1', '2024-03-01T08:00:00Z', 'ann', 'acme'),
          login('a2', '2024-03-01T09:00:00Z', 'ann', 'initech'),
          // Later, but naming no account: it does not count.
          login('a3', '2024-03-01T10:00:00Z', 'ann'),
          // Two events at one instant: the greater event_id, b2, wins.
          login('b2', '2024-03-01T11:00:00Z', 'ben', 'globex'),
          login('b1', '2024-03-01T11:00:00Z', 'ben', 'hooli'),
          login('b0', '2024-03-01T07:00:00Z', 'ben', 'umbrella'),
          login('c1', '2024-03-01T12:00:00Z', 'cy'),
        ]),
        fileOf('events/dt=2024-03-02/part-0000.ndjson.gz', [
          login('a4', '2024-03-02T08:00:00Z', 'ann', 'acme'),
        ]),
      ],
    });
    expect(
      await rows(
        `select user_id, activity_date::text as day, account_id, account_event_id
         from core.fact_daily_user_activity order by 1, 2`,
        day.pool,
      ),
    ).toEqual([
      { user_id: 'ann', day: '2024-03-01', account_id: 'initech', account_event_id: 'a2' },
      { user_id: 'ann', day: '2024-03-02', account_id: 'acme', account_event_id: 'a4' },
      { user_id: 'ben', day: '2024-03-01', account_id: 'globex', account_event_id: 'b2' },
      // A day with no event naming an account has none.
      { user_id: 'cy', day: '2024-03-01', account_id: null, account_event_id: null },
    ]);
  } finally {
    await day.drop();
  }
});
