import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { createTestDatabase, snapshotTables, type TestDatabase } from '../../support/database';
import { ndjsonSource } from '../../support/events';

// Sessions (docs/metrics.md, section 17), worked out by hand. All on March 5-6, 2024, UTC.
//   u1, session id s1: 10:00, 10:10, 10:40 on web; later 11:00 arrives: 10:00-11:00.
//   u2, no session id: 09:00, 09:20 | 09:55, 10:05 (a 35-minute gap); later 09:40 arrives and joins
//       the two (gaps of 20 and 15 minutes): 09:00-10:05.
//   u3, no session id: 23:50 on the 5th, 00:10 on the 6th: one session, on the 5th; later 00:35 on
//       the 6th arrives, 25 minutes on: the session of the 5th grows, though only the 6th is rebuilt.
//   u4, session id s4 on ios, one event: a session of 0 seconds.
let fileNumber = 0;
const line = (id: string, at: string, user: string, session?: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event_id: id,
    event_type: 'feature_used',
    event_timestamp: at,
    user_id: user,
    ...(session === undefined ? {} : { session_id: session }),
    properties: { feature_id: extra.feature ?? 'templates', feature_name: 'Templates', duration_sec: 5 },
    context: { platform: extra.platform ?? 'web' },
  });
const file = (lines: string[]) => ndjsonSource(`events/dt=2024-03-05/part-${++fileNumber}.ndjson.gz`, lines);

const FIRST = [
  line('a1', '2024-03-05T10:00:00Z', 'u1', 's1'),
  line('a2', '2024-03-05T10:10:00Z', 'u1', 's1', { feature: 'export' }),
  line('a3', '2024-03-05T10:40:00Z', 'u1', 's1'),
  line('b1', '2024-03-05T09:00:00Z', 'u2'),
  line('b2', '2024-03-05T09:20:00Z', 'u2', undefined, { platform: 'desktop' }),
  line('b3', '2024-03-05T09:55:00Z', 'u2', undefined, { platform: 'desktop' }),
  line('b4', '2024-03-05T10:05:00Z', 'u2'),
  line('c1', '2024-03-05T23:50:00Z', 'u3'),
  line('c2', '2024-03-06T00:10:00Z', 'u3'),
  line('d1', '2024-03-06T08:00:00Z', 'u4', 's4', { platform: 'ios' }),
];
const LATE = [
  line('a4', '2024-03-05T11:00:00Z', 'u1', 's1'),
  line('b5', '2024-03-05T09:40:00Z', 'u2'),
  line('c3', '2024-03-06T00:35:00Z', 'u3'),
];

const sessions = async (db: TestDatabase) =>
  (
    await db.pool.query(`select user_id, session_key, session_date, end_date, duration_seconds, event_count,
        features_used, platform from core.fact_sessions order by user_id, started_at`)
  ).rows.map(
    (r) =>
      `${r.user_id} ${r.session_key} ${r.session_date}..${r.end_date} ${r.duration_seconds}s ${r.event_count} events ${r.features_used} features ${r.platform}`,
  );

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: [file(FIRST)], asOf: '2024-03-06' });
});
afterAll(() => db.drop());

test('sessions by id, by 30 minutes of inactivity, and across midnight', async () => {
  expect(await sessions(db)).toEqual([
    'u1 id:s1 2024-03-05..2024-03-05 2400s 3 events 2 features web',
    'u2 inactivity:b1 2024-03-05..2024-03-05 1200s 2 events 1 features web',
    'u2 inactivity:b3 2024-03-05..2024-03-05 600s 2 events 1 features desktop',
    'u3 inactivity:c1 2024-03-05..2024-03-06 1200s 2 events 1 features web',
    'u4 id:s4 2024-03-06..2024-03-06 0s 1 events 1 features ios',
  ]);
});

test('late events extend a session, merge two, and grow one of an earlier day; as a full build would', async () => {
  const run = await runWarehouse(db.pool, { sources: [file(LATE)], asOf: '2024-03-06' });
  expect(run.models.find((model) => model.model === 'fact_sessions')?.dates).toBe(2);
  expect(await sessions(db)).toEqual([
    'u1 id:s1 2024-03-05..2024-03-05 3600s 4 events 2 features web',
    'u2 inactivity:b1 2024-03-05..2024-03-05 3900s 5 events 1 features web',
    'u3 inactivity:c1 2024-03-05..2024-03-06 2700s 3 events 1 features web',
    'u4 id:s4 2024-03-06..2024-03-06 0s 1 events 1 features ios',
  ]);
  const once = await createTestDatabase();
  try {
    await runWarehouse(once.pool, { sources: [file([...FIRST, ...LATE])], asOf: '2024-03-06' });
    expect(await snapshotTables(db.pool, ['core.fact_sessions'])).toEqual(
      await snapshotTables(once.pool, ['core.fact_sessions']),
    );
  } finally {
    await once.drop();
  }
});

test('a late event on the next day alone rebuilds only that day, and still reaches the session before midnight', async () => {
  await runWarehouse(db.pool, {
    sources: [file([line('c4', '2024-03-06T00:50:00Z', 'u3')])],
    asOf: '2024-03-06',
  });
  expect((await sessions(db)).filter((s) => s.startsWith('u3'))).toEqual([
    'u3 inactivity:c1 2024-03-05..2024-03-06 3600s 4 events 1 features web',
  ]);
});

test('session metrics per day and platform, with medians and the 90th percentile', async () => {
  const metrics = await createTestDatabase();
  try {
    const signup = (user: string, at: string) =>
      JSON.stringify({
        event_id: `${user}-signup`,
        event_type: 'user_signed_up',
        event_timestamp: at,
        user_id: user,
        session_id: `signup-${user}`,
        properties: { plan: 'free', email: `${user}@example.com` },
        context: { platform: 'web' },
      });
    await runWarehouse(metrics.pool, {
      // u1 to u3 sign up; u4 never sends a sign-up.
      sources: [
        file([
          ...FIRST,
          ...LATE,
          signup('u1', '2024-03-05T08:00:00Z'),
          signup('u2', '2024-03-05T08:00:00Z'),
          signup('u3', '2024-03-05T08:00:00Z'),
        ]),
      ],
      asOf: '2024-03-06',
    });
    const { rows } = await metrics.pool.query(
      `select session_date, platform, sessions, users, median_duration_seconds::text as median,
         p90_duration_seconds::text as p90, sessions_per_user::text as per_user
       from analytics.session_metrics order by 1, 2`,
    );
    // Mar 5: the three sign-up sessions (0 s), u1's 3600 s, u2's 3900 s, u3's 2700 s, all on web.
    // Durations sorted: 0, 0, 0, 2700, 3600, 3900: median (0 + 2700) / 2, p90 3600 + 0.5 x 300.
    expect(rows).toEqual([
      {
        session_date: '2024-03-05',
        platform: 'all',
        sessions: 6,
        users: 3,
        median: '1350.0',
        p90: '3750.0',
        per_user: '2.00',
      },
      {
        session_date: '2024-03-05',
        platform: 'web',
        sessions: 6,
        users: 3,
        median: '1350.0',
        p90: '3750.0',
        per_user: '2.00',
      },
      // u4, whose first event stands in for a sign-up it never sent (section 5), on ios.
      {
        session_date: '2024-03-06',
        platform: 'all',
        sessions: 1,
        users: 1,
        median: '0.0',
        p90: '0.0',
        per_user: '1.00',
      },
      {
        session_date: '2024-03-06',
        platform: 'ios',
        sessions: 1,
        users: 1,
        median: '0.0',
        p90: '0.0',
        per_user: '1.00',
      },
    ]);
  } finally {
    await metrics.drop();
  }
});
