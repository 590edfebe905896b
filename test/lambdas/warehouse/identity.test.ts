import type { Pool } from '../../../lambdas/warehouse/db';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { createTestDatabase, snapshotTables, type TestDatabase } from '../../support/database';
import { ndjsonSource } from '../../support/events';

// Identity, worked by hand (docs/metrics.md, section 14): anonymous events are the person's once an
// identify or alias links their anonymous id; the first link holds; late links move only the dates
// they touch; the result does not depend on the order the files arrive in.
let fileNumber = 0;
const file = (messages: Record<string, unknown>[]) =>
  ndjsonSource(
    `segment-logs/web/1709251200000/${1709251200000 + ++fileNumber}.f${fileNumber}.gz`,
    messages.map((m) => JSON.stringify(m)),
  );

const track = (
  id: string,
  at: string,
  who: { userId?: string; anonymousId?: string },
  event = 'Feature Used',
) => ({
  type: 'track',
  event,
  messageId: id,
  ...who,
  timestamp: at,
  properties: { featureId: 'export', featureName: 'Export', sessionId: `ses_${id}` },
  context: { device: { type: 'web' } },
});
const signup = (id: string, at: string, userId: string, anonymousId?: string) => ({
  ...track(id, at, { userId, anonymousId }, 'Signed Up'),
  properties: { email: `${userId}@example.com`, plan: 'free' },
});
const identify = (id: string, at: string, userId: string, anonymousId: string, traits = {}) => ({
  type: 'identify',
  messageId: id,
  userId,
  anonymousId,
  timestamp: at,
  traits,
});
const alias = (id: string, at: string, previousId: string, userId: string) => ({
  type: 'alias',
  messageId: id,
  previousId,
  userId,
  timestamp: at,
});

async function persons(pool: Pool) {
  const { rows } = await pool.query(
    `select event_id, user_id, person_source from core.fact_events order by event_id`,
  );
  return Object.fromEntries(rows.map((row) => [row.event_id, `${row.user_id} (${row.person_source})`]));
}

describe('anonymous events before identify, a person who never identifies, an alias chain', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await runWarehouse(db.pool, {
      asOf: '2024-03-04',
      sources: [
        file([
          // anon-a browses on the 1st, signs up as usr_a on the 2nd: identify links anon-a.
          track('e1', '2024-03-01T10:00:00Z', { anonymousId: 'anon-a' }),
          identify('i1', '2024-03-02T09:00:00Z', 'usr_a', 'anon-a', { name: 'Ada', company: 'Acme' }),
          signup('e2', '2024-03-02T09:00:00Z', 'usr_a'),
          track('e3', '2024-03-03T10:00:00Z', { userId: 'usr_a', anonymousId: 'anon-a' }),
          // anon-b never identifies.
          track('e4', '2024-03-01T11:00:00Z', { anonymousId: 'anon-b' }),
          track('e5', '2024-03-03T11:00:00Z', { anonymousId: 'anon-b' }),
          // anon-c1 is aliased to anon-c2, which identifies as usr_c: c1's events are usr_c's.
          track('e6', '2024-03-01T12:00:00Z', { anonymousId: 'anon-c1' }),
          alias('a1', '2024-03-01T12:30:00Z', 'anon-c1', 'anon-c2'),
          track('e7', '2024-03-02T12:00:00Z', { anonymousId: 'anon-c2' }),
          identify('i2', '2024-03-04T09:00:00Z', 'usr_c', 'anon-c2'),
          signup('e8', '2024-03-04T09:00:00Z', 'usr_c'),
        ]),
      ],
    });
  });
  afterAll(() => db.drop());

  test('each event is its person’s', async () => {
    expect(await persons(db.pool)).toEqual({
      e1: 'usr_a (identity_link)',
      e2: 'usr_a (user_id)',
      e3: 'usr_a (user_id)',
      e4: 'anon-b (anonymous)',
      e5: 'anon-b (anonymous)',
      e6: 'usr_c (identity_link)',
      e7: 'usr_c (identity_link)',
      e8: 'usr_c (user_id)',
    });
    const links = await db.pool.query(
      'select source_id, person_id from staging.identity_links order by source_id',
    );
    expect(links.rows).toEqual([
      { source_id: 'anon-a', person_id: 'usr_a' },
      { source_id: 'anon-c1', person_id: 'usr_c' },
      { source_id: 'anon-c2', person_id: 'usr_c' },
    ]);
  });

  test('signed-up users only in dim_users, with first_seen_at from any of their ids, and identify traits', async () => {
    const { rows } = await db.pool.query(
      `select user_id, signup_at, first_seen_at, full_name, company from core.dim_users order by user_id`,
    );
    expect(rows).toEqual([
      {
        user_id: 'usr_a',
        signup_at: new Date('2024-03-02T09:00:00Z'),
        first_seen_at: new Date('2024-03-01T10:00:00Z'),
        full_name: 'Ada',
        company: 'Acme',
      },
      {
        user_id: 'usr_c',
        signup_at: new Date('2024-03-04T09:00:00Z'),
        first_seen_at: new Date('2024-03-01T12:00:00Z'),
        full_name: null,
        company: null,
      },
    ]);
  });

  test('DAU counts persons, anonymous ones too; the retention cohorts count signed-up users only', async () => {
    const dau = await db.pool.query(
      `select activity_date, dau from analytics.daily_active_users order by activity_date`,
    );
    expect(dau.rows.map((row) => [row.activity_date, row.dau])).toEqual([
      ['2024-03-01', 3], // usr_a (anon-a), anon-b, usr_c (anon-c1)
      ['2024-03-02', 2], // usr_a, usr_c (anon-c2)
      ['2024-03-03', 2], // usr_a, anon-b
      ['2024-03-04', 1], // usr_c
    ]);
    const cohorts = await db.pool.query(
      `select sum(cohort_size)::integer as users from analytics.user_retention_cohorts where months_since_signup = 0`,
    );
    expect(cohorts.rows[0].users).toBe(2);
    // Sessions are every person's in core, and signed-up users' only in the analytics.
    const sessions = await db.pool.query(
      `select (select count(*)::integer from core.fact_sessions where user_id = 'anon-b') as anonymous,
         (select string_agg(session_date || ' ' || users, ', ' order by session_date)
          from analytics.session_metrics where platform = 'all') as users`,
    );
    expect(sessions.rows[0]).toEqual({
      anonymous: 2,
      users: '2024-03-01 2, 2024-03-02 2, 2024-03-03 1, 2024-03-04 1', // DAU less anon-b
    });
  });
});

describe('two users who claim one anonymous id, in either arrival order', () => {
  const early = () =>
    file([
      track('e1', '2024-03-01T10:00:00Z', { anonymousId: 'anon-x' }),
      identify('i1', '2024-03-01T11:00:00Z', 'usr_1', 'anon-x'),
      signup('s1', '2024-03-01T11:00:00Z', 'usr_1'),
    ]);
  const late = () =>
    file([
      identify('i2', '2024-03-02T11:00:00Z', 'usr_2', 'anon-x'),
      signup('s2', '2024-03-02T11:00:00Z', 'usr_2'),
      track('e2', '2024-03-02T12:00:00Z', { anonymousId: 'anon-x' }),
    ]);
  const tables = [
    'core.fact_events',
    'core.fact_daily_user_activity',
    'core.dim_users',
    'staging.identity_links',
  ];
  let inOrder: TestDatabase;
  let reversed: TestDatabase;
  beforeAll(async () => {
    [inOrder, reversed] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    await runWarehouse(inOrder.pool, { asOf: '2024-03-02', sources: [early()] });
    await runWarehouse(inOrder.pool, { asOf: '2024-03-02', sources: [late()] });
    await runWarehouse(reversed.pool, { asOf: '2024-03-02', sources: [late()] });
    await runWarehouse(reversed.pool, { asOf: '2024-03-02', sources: [early()] });
  });
  afterAll(() => Promise.all([inOrder.drop(), reversed.drop()]));

  test('the first link holds: anon-x is usr_1’s, before and after usr_2 claims it', async () => {
    expect(await persons(inOrder.pool)).toEqual({
      e1: 'usr_1 (identity_link)',
      e2: 'usr_1 (identity_link)',
      s1: 'usr_1 (user_id)',
      s2: 'usr_2 (user_id)',
    });
  });

  test('the warehouse is the same whichever file came first', async () => {
    const ignore = ['built_at', 'file_id', 'line_number'];
    expect(await snapshotTables(reversed.pool, tables, { ignore })).toEqual(
      await snapshotTables(inOrder.pool, tables, { ignore }),
    );
  });
});

test('a late link moves the dates it touches and leaves every other date’s facts as they were', async () => {
  const db = await createTestDatabase();
  try {
    await runWarehouse(db.pool, {
      asOf: '2024-03-08',
      sources: [
        file([
          track('d5', '2024-03-05T10:00:00Z', { anonymousId: 'anon-d' }),
          track('d6', '2024-03-06T10:00:00Z', { anonymousId: 'anon-d' }),
          signup('o1', '2024-03-05T08:00:00Z', 'usr_other'),
          track('o7', '2024-03-07T10:00:00Z', { userId: 'usr_other' }),
        ]),
      ],
    });
    const versionsOf = async (date: string) =>
      (
        await db.pool.query(
          `select xmin::text as version, user_id from core.fact_daily_user_activity where activity_date = $1 order by user_id`,
          [date],
        )
      ).rows;
    const day7 = await versionsOf('2024-03-07');
    const run = await runWarehouse(db.pool, {
      asOf: '2024-03-08',
      sources: [
        file([
          identify('i1', '2024-03-08T09:00:00Z', 'usr_d', 'anon-d'),
          signup('s1', '2024-03-08T09:00:00Z', 'usr_d', 'anon-d'),
        ]),
      ],
    });
    const rebuilt = run.models.filter((model) => model.model === 'fact_events');
    expect(rebuilt.reduce((sum, model) => sum + model.dates, 0)).toBe(3); // the 5th, the 6th, the 8th
    expect((await persons(db.pool)).d5).toBe('usr_d (identity_link)');
    expect((await persons(db.pool)).d6).toBe('usr_d (identity_link)');
    expect(await versionsOf('2024-03-07')).toEqual(day7);
    const users = await db.pool.query('select user_id, first_seen_at from core.dim_users order by user_id');
    expect(users.rows).toEqual([
      { user_id: 'usr_d', first_seen_at: new Date('2024-03-05T10:00:00Z') },
      { user_id: 'usr_other', first_seen_at: new Date('2024-03-05T08:00:00Z') },
    ]);
  } finally {
    await db.drop();
  }
});

test('a group call makes its groupId the person’s account, also when it comes late, alone or anonymous', async () => {
  const group = (
    id: string,
    at: string,
    who: { userId?: string; anonymousId?: string },
    groupId: string,
  ) => ({
    type: 'group',
    messageId: id,
    ...who,
    groupId,
    timestamp: at,
    traits: { name: groupId },
  });
  const accounts = async (pool: Pool) =>
    (
      await pool.query(
        `select user_id, account_id, is_personal, account_event_id from core.dim_user_accounts order by user_id`,
      )
    ).rows;
  const db = await createTestDatabase();
  try {
    await runWarehouse(db.pool, {
      asOf: '2024-03-08',
      sources: [
        file([
          // usr_g's events name no account: the group call gives it.
          signup('g1', '2024-03-05T08:00:00Z', 'usr_g'),
          track('g2', '2024-03-06T10:00:00Z', { userId: 'usr_g' }),
          group('gc1', '2024-03-05T08:01:00Z', { userId: 'usr_g' }, 'acct_acme'),
          // usr_h's anonymous visit joins a group before identifying: the link takes it to usr_h.
          group('gc2', '2024-03-05T07:00:00Z', { anonymousId: 'anon-h' }, 'acct_beta'),
          identify('ih', '2024-03-05T09:00:00Z', 'usr_h', 'anon-h'),
          signup('h1', '2024-03-05T09:00:00Z', 'usr_h'),
          // usr_k's events name acct_kilo, later than its group call: the latest wins.
          group('gc3', '2024-03-05T09:00:00Z', { userId: 'usr_k' }, 'acct_old'),
          { ...signup('k1', '2024-03-05T10:00:00Z', 'usr_k'), context: { groupId: 'acct_kilo' } },
        ]),
      ],
    });
    expect(await accounts(db.pool)).toEqual([
      { user_id: 'usr_g', account_id: 'acct_acme', is_personal: false, account_event_id: 'gc1' },
      { user_id: 'usr_h', account_id: 'acct_beta', is_personal: false, account_event_id: 'gc2' },
      { user_id: 'usr_k', account_id: 'acct_kilo', is_personal: false, account_event_id: 'k1' },
    ]);

    // A later file with only a group call, on a day the person has no event: it moves usr_k.
    await runWarehouse(db.pool, {
      asOf: '2024-03-08',
      sources: [file([group('gc4', '2024-03-08T12:00:00Z', { userId: 'usr_k' }, 'acct_new')])],
    });
    expect((await accounts(db.pool)).find((row) => row.user_id === 'usr_k')).toEqual({
      user_id: 'usr_k',
      account_id: 'acct_new',
      is_personal: false,
      account_event_id: 'gc4',
    });
  } finally {
    await db.drop();
  }
});
