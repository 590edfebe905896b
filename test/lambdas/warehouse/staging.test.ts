import { ingestFile } from '../../../lambdas/warehouse/ingest';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { stageLoadedFiles } from '../../../lambdas/warehouse/staging';
import {
  createTestDatabase,
  snapshotTables,
  type TestDatabase,
  WAREHOUSE_TABLES,
} from '../../support/database';
import { eventLine, type FixtureEvent, fileOf, ndjsonSource } from '../../support/events';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const good = (id: string, extra: Partial<FixtureEvent> = {}): FixtureEvent => ({
  id,
  type: 'user_login',
  at: '2024-04-02T10:00:00Z',
  user: 'usr_9',
  ...extra,
});
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    event_id: 'x',
    event_type: 'user_login',
    event_timestamp: '2024-04-02T10:00:00Z',
    user_id: 'usr_9',
    ...fields,
  });

test('each kind of bad line is quarantined with its reason while the good lines of the file are staged', async () => {
  const cases: [string, string, string | null][] = [
    ['{"event_id": "q1", oops', 'invalid_json', null],
    ['"just a string"', 'not_an_object', 'string'],
    [line({ event_id: undefined }), 'missing_field', 'event_id'],
    [line({ event_id: 'q4', event_type: undefined }), 'missing_field', 'event_type'],
    [line({ event_id: 'q5', event_timestamp: null }), 'missing_field', 'event_timestamp'],
    [line({ event_id: 'q6', user_id: '' }), 'missing_field', 'user_id'],
    [line({ event_id: 42 }), 'invalid_value', 'event_id'],
    [line({ event_id: 'q8', event_type: 'user_teleported' }), 'unknown_event_type', 'user_teleported'],
    [line({ event_id: 'q9', event_timestamp: 'yesterday' }), 'invalid_timestamp', 'yesterday'],
    [
      line({ event_id: 'q10', event_timestamp: '2024-02-30T10:00:00Z' }),
      'invalid_timestamp',
      '2024-02-30T10:00:00Z',
    ],
    [
      line({ event_id: 'q11', event_timestamp: '2024-04-02T10:00:00' }),
      'invalid_timestamp',
      '2024-04-02T10:00:00',
    ],
    [
      line({ event_id: 'q12', event_timestamp: '2099-01-01T00:00:00Z' }),
      'future_timestamp',
      '2099-01-01T00:00:00Z',
    ],
    [
      line({ event_id: 'q13', event_type: 'document_edited', properties: {} }),
      'missing_field',
      'properties.document_id',
    ],
    [
      line({ event_id: 'q14', event_type: 'feature_used', properties: { feature_name: 'x' } }),
      'missing_field',
      'properties.feature_id',
    ],
    [
      line({
        event_id: 'q15',
        event_type: 'document_edited',
        properties: { document_id: 'd', edit_duration_sec: 'long' },
      }),
      'invalid_value',
      'properties.edit_duration_sec',
    ],
    [
      line({
        event_id: 'q16',
        event_type: 'feature_used',
        properties: { feature_id: 'f', duration_sec: -5 },
      }),
      'invalid_value',
      'properties.duration_sec',
    ],
    [line({ event_id: 'q17', properties: 'not an object' }), 'invalid_value', 'properties'],
    [
      line({ event_id: 'q18', event_type: 'subscription_upgraded', properties: {} }),
      'missing_field',
      'properties.plan',
    ],
  ];
  const lines = [
    eventLine(good('ok1')),
    ...cases.map(([text]) => text),
    eventLine(good('ok2', { at: '2024-04-02T12:00:00+02:00' })),
  ];
  const loaded = await ingestFile(db.pool, ndjsonSource('events/dt=2024-04-02/bad.ndjson.gz', lines));
  const staged = await stageLoadedFiles(db.pool);

  expect(staged).toMatchObject({ files: 1, staged: 2, quarantined: cases.length, duplicates: 0 });
  const quarantine = await db.pool.query(
    'select line_number, reason, detail from staging.quarantine where file_id = $1 order by line_number',
    [loaded.fileId],
  );
  expect(
    quarantine.rows.map((r) => [r.line_number, r.reason, r.reason === 'invalid_json' ? null : r.detail]),
  ).toEqual(cases.map(([, reason, detail], i) => [i + 2, reason, detail]));
  const events = await db.pool.query(
    `select event_id, event_at, event_date from staging.events where event_id like 'ok%' order by 1`,
  );
  expect(events.rows).toEqual([
    { event_id: 'ok1', event_at: new Date('2024-04-02T10:00:00Z'), event_date: '2024-04-02' },
    // An offset timestamp is stored as the same instant in UTC.
    { event_id: 'ok2', event_at: new Date('2024-04-02T10:00:00Z'), event_date: '2024-04-02' },
  ]);
  const invalidJson = await db.pool.query(
    `select raw_line from staging.quarantine where reason = 'invalid_json'`,
  );
  expect(invalidJson.rows[0].raw_line).toBe('{"event_id": "q1", oops');
});

test('a duplicate event in two files is staged once; the later copy is recorded as a duplicate of the first', async () => {
  const first = await ingestFile(
    db.pool,
    fileOf('events/dt=2024-04-03/part-0000.ndjson.gz', [
      good('dup-1', { at: '2024-04-03T08:00:00Z' }),
      good('dup-2', { at: '2024-04-03T08:01:00Z' }),
    ]),
  );
  const second = await ingestFile(
    db.pool,
    fileOf('events/dt=2024-04-03/part-0001.ndjson.gz', [
      good('dup-3', { at: '2024-04-03T09:00:00Z' }),
      good('dup-1', { at: '2024-04-03T08:00:00Z' }),
      good('dup-3', { at: '2024-04-03T09:00:00Z' }),
    ]),
  );
  const staged = await stageLoadedFiles(db.pool);
  expect(staged).toMatchObject({ files: 2, staged: 3, duplicates: 2 });
  const duplicates = await db.pool.query(
    'select file_id, line_number, event_id, kept_file_id, kept_line_number from staging.duplicates order by 1, 2',
  );
  expect(duplicates.rows).toEqual([
    {
      file_id: second.fileId,
      line_number: 2,
      event_id: 'dup-1',
      kept_file_id: first.fileId,
      kept_line_number: 1,
    },
    {
      file_id: second.fileId,
      line_number: 3,
      event_id: 'dup-3',
      kept_file_id: second.fileId,
      kept_line_number: 1,
    },
  ]);

  // The same event arriving again in a later load is a duplicate of the staged copy.
  const third = await ingestFile(
    db.pool,
    fileOf('events/dt=2024-04-03/part-0002.ndjson.gz', [good('dup-2', { at: '2024-04-03T08:01:00Z' })]),
  );
  await stageLoadedFiles(db.pool);
  const late = await db.pool.query(
    'select kept_file_id, kept_line_number from staging.duplicates where file_id = $1',
    [third.fileId],
  );
  expect(late.rows).toEqual([{ kept_file_id: first.fileId, kept_line_number: 2 }]);
});

test('revenue fields: the account from the top level or the properties, money kept exact, bad values quarantined', async () => {
  const sub = (id: string, fields: Record<string, unknown>, properties: Record<string, unknown> = {}) =>
    line({
      event_id: id,
      event_type: 'subscription_started',
      event_timestamp: '2024-04-04T10:00:00Z',
      properties: { plan: 'pro', ...properties },
      ...fields,
    });
  const valid: [string, string | null, string | null, string | null, string | null][] = [
    // event, account_id, mrr, amount, currency as staged
    ['r1', 'acme', null, null, null], // top level only
    ['r2', 'globex', null, null, null], // properties only
    ['r3', 'acme', null, null, null], // both: the top level wins
    ['r4', 'initech', null, null, null], // an empty top level gives way to the properties
    ['r5', '42', '12.345', null, 'EUR'], // a numeric id as jsonb writes it; mrr exactly as sent
    ['r6', null, '0', '120.1', 'USD'], // no account at all: the user is their own account
    ['r7', null, null, null, null], // a file from before accounts: nothing new, still valid
  ];
  const lines = [
    sub('r1', { account_id: 'acme' }),
    sub('r2', {}, { account_id: 'globex' }),
    sub('r3', { account_id: 'acme' }, { account_id: 'globex' }),
    sub('r4', { account_id: '' }, { account_id: 'initech' }),
    sub('r5', { account_id: 42 }, { mrr: 12.345, currency: 'EUR' }),
    sub('r6', { account_id: null }, { mrr: 0, amount: 120.1, currency: 'USD', billing_cycle: 'annual' }),
    sub('r7', {}),
  ];
  // In the order they are checked (docs/metrics.md, section 7), each after every rule before it.
  const bad: [string, string, string][] = [
    [sub('b1', { account_id: { id: 'acme' } }), 'invalid_value', 'account_id'],
    [sub('b2', {}, { account_id: true }), 'invalid_value', 'account_id'],
    [sub('b3', { account_id: 'a'.repeat(257) }), 'identifier_too_long', 'account_id'],
    [sub('b4', {}, { account_id: 'a'.repeat(257) }), 'identifier_too_long', 'account_id'],
    [sub('b5', {}, { mrr: '12' }), 'invalid_value', 'properties.mrr'],
    [sub('b6', {}, { mrr: -0.01 }), 'invalid_value', 'properties.mrr'],
    [sub('b7', {}, { amount: -5, mrr: 'x' }), 'invalid_value', 'properties.mrr'],
    [sub('b8', {}, { amount: [120] }), 'invalid_value', 'properties.amount'],
    [sub('b9', {}, { amount: -120 }), 'invalid_value', 'properties.amount'],
    [sub('b10', {}, { currency: 'usd' }), 'invalid_value', 'properties.currency'],
    [sub('b11', {}, { currency: 'USDT' }), 'invalid_value', 'properties.currency'],
    [sub('b12', {}, { currency: 840 }), 'invalid_value', 'properties.currency'],
    [sub('b13', {}, { currency: '' }), 'invalid_value', 'properties.currency'],
  ];
  const loaded = await ingestFile(
    db.pool,
    ndjsonSource('events/dt=2024-04-04/revenue.ndjson.gz', [...lines, ...bad.map(([text]) => text)]),
  );
  expect(await stageLoadedFiles(db.pool)).toMatchObject({ staged: valid.length, quarantined: bad.length });
  const staged = await db.pool.query(
    `select event_id, account_id, mrr::text, amount::text, currency from staging.events
     where event_id like 'r_' order by event_id`,
  );
  expect(staged.rows.map((r) => [r.event_id, r.account_id, r.mrr, r.amount, r.currency])).toEqual(valid);
  const quarantine = await db.pool.query(
    'select reason, detail from staging.quarantine where file_id = $1 order by line_number',
    [loaded.fileId],
  );
  expect(quarantine.rows.map((r) => [r.reason, r.detail])).toEqual(
    bad.map(([, reason, detail]) => [reason, detail]),
  );
});

test('every raw line is accounted for, the quality gate passes, and staging again changes nothing', async () => {
  const summary = await runWarehouse(db.pool);
  const reconcile = summary.quality.find((check) => check.name === 'reconcile_raw_to_staging');
  expect(reconcile).toMatchObject({ passed: true });
  const { rows } = await db.pool.query(`select
      (select count(*) from raw.events) as raw_lines,
      (select count(*) from staging.events) + (select count(*) from staging.quarantine) + (select count(*) from staging.duplicates) as accounted`);
  expect(rows[0].raw_lines).toBe(rows[0].accounted);
  const facts = await db.pool.query(
    `select count(*)::integer as n from core.fact_events where event_id like 'dup-%'`,
  );
  expect(facts.rows[0].n).toBe(3);

  const before = await snapshotTables(db.pool, WAREHOUSE_TABLES);
  expect(await stageLoadedFiles(db.pool)).toMatchObject({ files: 0, staged: 0 });
  expect(await snapshotTables(db.pool, WAREHOUSE_TABLES)).toEqual(before);
});

test('the fast and the safe timestamp casts agree on every value the fast one can take', async () => {
  const values = [
    '2024-04-02T10:00:00Z',
    '2024-04-02T10:00:00.123456Z',
    '2024-04-02 10:00:00+02:00',
    '2024-04-02T10:00:00-0530',
    '2024-04-02T10:00:00+01',
    '2024-04-02T10:00:00',
    '2024-04-02',
    'yesterday',
    '2024-4-2T10:00:00Z',
  ];
  const parse = async (safe: boolean) => {
    const client = await db.pool.connect();
    try {
      await client.query(`select set_config('saas_pipeline.safe_casts', $1, false)`, [safe ? 'on' : 'off']);
      const { rows } = await client.query(
        'select staging.parse_event_timestamp(v) as at from unnest($1::text[]) as v',
        [values],
      );
      return rows.map((row) => row.at);
    } finally {
      await client.query(`reset saas_pipeline.safe_casts`);
      client.release();
    }
  };
  const fast = await parse(false);
  expect(fast).toEqual(await parse(true));
  expect(fast.slice(0, 5).map((at: Date) => at.toISOString())).toEqual([
    '2024-04-02T10:00:00.000Z',
    '2024-04-02T10:00:00.123Z',
    '2024-04-02T08:00:00.000Z',
    '2024-04-02T15:30:00.000Z',
    '2024-04-02T09:00:00.000Z',
  ]);
  // No offset, no time, words, unpadded fields.
  expect(fast.slice(5)).toEqual([null, null, null, null]);
});
