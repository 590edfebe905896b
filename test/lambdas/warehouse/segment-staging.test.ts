import { ingestFile } from '../../../lambdas/warehouse/ingest';
import { listQualityChecks } from '../../../lambdas/warehouse/quality';
import { bindNamed } from '../../../lambdas/warehouse/sql-files';
import { stageAllLoadedFiles } from '../../../lambdas/warehouse/staging';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { ndjsonSource } from '../../support/events';

// Segment-spec messages (https://segment.com/docs/connections/spec/common/), written as Segment's S3
// destination writes them, staged through the shipped mapping (sql/seeds/segment_mapping.json).
const KEY = 'segment-logs/AbC123xyz/1709251200000/1709290000000.b2c3d4e5.gz';
const context = {
  ip: '203.0.113.9',
  userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)',
  library: { name: 'analytics.js', version: '5.2.0' },
  device: { type: 'web' },
  groupId: 'acct_1',
  page: { path: '/docs/1', referrer: '' },
  locale: 'en-US',
};
const common = {
  anonymousId: 'anon-1',
  channel: 'client',
  context,
  integrations: { All: true, Mixpanel: false },
  receivedAt: '2024-03-01T10:00:02.000Z',
  sentAt: '2024-03-01T10:00:01.000Z',
  version: 2,
  _metadata: { bundled: ['Segment.io'] },
};

const messages: Record<string, unknown>[] = [
  // 1. A mapped track call; every time field present: timestamp wins.
  {
    ...common,
    type: 'track',
    event: 'Document Edited',
    messageId: 'msg-1',
    userId: 'usr_1',
    timestamp: '2024-03-01T10:00:00.000Z',
    originalTimestamp: '2024-03-01T09:59:00.000Z',
    properties: {
      documentId: 'doc_1',
      durationSeconds: 30,
      charactersAdded: 5,
      sessionId: 'ses_1',
      extra: [1],
    },
  },
  // 2. No timestamp: originalTimestamp, before receivedAt.
  {
    ...common,
    type: 'track',
    event: 'Signed In',
    messageId: 'msg-2',
    userId: 'usr_1',
    originalTimestamp: '2024-03-01T08:00:00.000Z',
    properties: { method: 'sso' },
  },
  // 3. Only receivedAt.
  { ...common, type: 'track', event: 'Signed Out', messageId: 'msg-3', userId: 'usr_1', properties: {} },
  // 4. A track event no mapping covers, 5. a screen call, 6. the same name again.
  {
    ...common,
    type: 'track',
    event: 'Plan Viewed',
    messageId: 'msg-4',
    userId: 'usr_1',
    timestamp: '2024-03-01T11:00:00Z',
  },
  {
    ...common,
    type: 'screen',
    name: 'Home',
    messageId: 'msg-5',
    userId: 'usr_1',
    timestamp: '2024-03-01T11:00:00Z',
  },
  {
    ...common,
    type: 'track',
    event: 'Plan Viewed',
    messageId: 'msg-6',
    userId: 'usr_1',
    timestamp: '2024-03-02T11:00:00Z',
  },
  // 7. identify with traits, 8. the same message again (Segment delivers at least once).
  {
    ...common,
    type: 'identify',
    messageId: 'msg-7',
    userId: 'usr_1',
    timestamp: '2024-03-01T09:00:00Z',
    traits: {
      email: 'ada@example.com',
      name: 'Ada L',
      plan: 'pro',
      company: 'Acme',
      address: { country: 'GB' },
    },
  },
  {
    ...common,
    type: 'identify',
    messageId: 'msg-7',
    userId: 'usr_1',
    timestamp: '2024-03-01T09:00:00Z',
    traits: { email: 'ada@example.com' },
  },
  // 9. group, 10. alias.
  {
    ...common,
    type: 'group',
    messageId: 'msg-9',
    userId: 'usr_1',
    groupId: 'acct_1',
    traits: { name: 'Acme Ltd' },
    timestamp: '2024-03-01T09:00:00Z',
  },
  {
    ...common,
    type: 'alias',
    messageId: 'msg-10',
    previousId: 'anon-1',
    userId: 'usr_1',
    timestamp: '2024-03-01T09:00:00Z',
  },
  // 11. A mapped event missing a field the contract requires: named by the path the mapping reads.
  {
    ...common,
    type: 'track',
    event: 'Document Edited',
    messageId: 'msg-11',
    userId: 'usr_1',
    timestamp: '2024-03-01T10:00:00Z',
    properties: {},
  },
  // 12. No messageId, 13. a type the spec does not have, 14. no id of a person.
  { ...common, type: 'track', event: 'Document Edited', userId: 'usr_1', timestamp: '2024-03-01T10:00:00Z' },
  { ...common, type: 'shout', messageId: 'msg-13', userId: 'usr_1', timestamp: '2024-03-01T10:00:00Z' },
  {
    ...common,
    anonymousId: null,
    type: 'track',
    event: 'Signed In',
    messageId: 'msg-14',
    timestamp: '2024-03-01T10:00:00Z',
  },
  // 15. An alias without previousId, 16. a bad timestamp.
  { ...common, type: 'alias', messageId: 'msg-15', userId: 'usr_1', timestamp: '2024-03-01T09:00:00Z' },
  {
    ...common,
    type: 'track',
    event: 'Signed In',
    messageId: 'msg-16',
    userId: 'usr_1',
    timestamp: 'yesterday',
  },
  // 17. A duplicate of message 1.
  {
    ...common,
    type: 'track',
    event: 'Document Edited',
    messageId: 'msg-1',
    userId: 'usr_1',
    timestamp: '2024-03-01T10:00:00.000Z',
    properties: { documentId: 'doc_1' },
  },
];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  const lines = [...messages.map((message) => JSON.stringify(message)), '{"type":"track",', '[]'];
  const loaded = await ingestFile(db.pool, ndjsonSource(KEY, lines));
  expect(loaded).toMatchObject({ status: 'loaded', lines: 19, rows: 18, invalidLines: 1 });
});
afterAll(() => db.drop());

test('the key declares the format, and every line lands in exactly one place', async () => {
  const result = await stageAllLoadedFiles(db.pool);
  expect(result).toMatchObject({
    staged: 3,
    quarantined: 8,
    duplicates: 2,
    unmapped: 3,
    identityMessages: 3,
  });
  const { rows } = await db.pool.query(
    `select format, line_count, staged_rows, quarantined_rows, duplicate_rows, unmapped_rows, identity_rows from raw.files`,
  );
  expect(rows).toEqual([
    {
      format: 'segment',
      line_count: 19,
      staged_rows: 3,
      quarantined_rows: 8,
      duplicate_rows: 2,
      unmapped_rows: 3,
      identity_rows: 3,
    },
  ]);
  // The quality gate's reconciliation counts the two new outcomes with the others.
  const reconcile = listQualityChecks().find((check) => check.name === 'reconcile_raw_to_staging');
  const query = bindNamed(reconcile?.sql ?? '', { file_ids: [1], dates: [] });
  expect((await db.pool.query(query.text, query.values)).rows).toEqual([]);
  await db.pool.query('update raw.files set unmapped_rows = 2');
  expect((await db.pool.query(query.text, query.values)).rows).toHaveLength(1);
  await db.pool.query('update raw.files set unmapped_rows = 3');
});

test('spec fields are read into the contract: messageId, the time in order of precedence, the mapped paths, context', async () => {
  const { rows } = await db.pool.query(
    `select event_id, event_type, event_at, user_id, session_id, document_id, edit_duration_seconds, characters_added,
       login_method, platform, ip_address, user_agent, account_id
     from staging.events order by event_id`,
  );
  const base = {
    platform: 'web',
    ip_address: '203.0.113.0', // context.ip, to its /24 (staging.truncated_ip)
    user_agent: context.userAgent,
    account_id: 'acct_1',
  };
  expect(rows).toEqual([
    {
      ...base,
      event_id: 'msg-1',
      event_type: 'document_edited',
      event_at: new Date('2024-03-01T10:00:00Z'),
      user_id: 'usr_1',
      session_id: 'ses_1',
      document_id: 'doc_1',
      edit_duration_seconds: 30,
      characters_added: 5,
      login_method: null,
    },
    {
      ...base,
      event_id: 'msg-2',
      event_type: 'user_login',
      event_at: new Date('2024-03-01T08:00:00Z'),
      user_id: 'usr_1',
      session_id: null,
      document_id: null,
      edit_duration_seconds: null,
      characters_added: null,
      login_method: 'sso',
    },
    {
      ...base,
      event_id: 'msg-3',
      event_type: 'user_logout',
      event_at: new Date('2024-03-01T10:00:02Z'),
      user_id: 'usr_1',
      session_id: null,
      document_id: null,
      edit_duration_seconds: null,
      characters_added: null,
      login_method: null,
    },
  ]);
});

test('calls no mapping covers are kept by name, not quarantined', async () => {
  const { rows } = await db.pool.query(
    `select message_type, event_name, row_count::integer as rows, first_date, last_date
     from ops.unmapped_events_by_name order by message_type, event_name`,
  );
  expect(rows).toEqual([
    {
      message_type: 'screen',
      event_name: 'Home',
      rows: 1,
      first_date: '2024-03-01',
      last_date: '2024-03-01',
    },
    {
      message_type: 'track',
      event_name: 'Plan Viewed',
      rows: 2,
      first_date: '2024-03-01',
      last_date: '2024-03-02',
    },
  ]);
});

test('identify, group and alias calls are kept once each, with the mapped traits', async () => {
  const { rows } = await db.pool.query(
    `select message_id, message_type, user_id, anonymous_id, previous_id, account_id, email, full_name, company, plan, country
     from staging.identity_messages order by message_id`,
  );
  expect(rows).toEqual([
    {
      message_id: 'msg-10',
      message_type: 'alias',
      user_id: 'usr_1',
      anonymous_id: 'anon-1',
      previous_id: 'anon-1',
      account_id: 'acct_1',
      email: null,
      full_name: null,
      company: null,
      plan: null,
      country: null,
    },
    {
      message_id: 'msg-7',
      message_type: 'identify',
      user_id: 'usr_1',
      anonymous_id: 'anon-1',
      previous_id: null,
      account_id: 'acct_1',
      email: 'ada@example.com',
      full_name: 'Ada L',
      company: 'Acme',
      plan: 'pro',
      country: 'GB',
    },
    {
      message_id: 'msg-9',
      message_type: 'group',
      user_id: 'usr_1',
      anonymous_id: 'anon-1',
      previous_id: null,
      account_id: 'acct_1',
      email: null,
      full_name: null,
      company: 'Acme Ltd',
      plan: null,
      country: null,
    },
  ]);
});

test('what the spec requires is checked and named as the spec names it', async () => {
  const { rows } = await db.pool.query(
    `select line_number, reason, detail from staging.quarantine order by line_number`,
  );
  expect(rows).toEqual([
    { line_number: 11, reason: 'missing_field', detail: 'properties.documentId' },
    { line_number: 12, reason: 'missing_field', detail: 'messageId' },
    { line_number: 13, reason: 'invalid_value', detail: 'type' },
    { line_number: 14, reason: 'missing_field', detail: 'userId' },
    { line_number: 15, reason: 'missing_field', detail: 'previousId' },
    { line_number: 16, reason: 'invalid_timestamp', detail: 'yesterday' },
    { line_number: 18, reason: 'invalid_json', detail: 'Unexpected end of JSON input' },
    { line_number: 19, reason: 'not_an_object', detail: 'array' },
  ]);
  const duplicates = await db.pool.query(
    'select line_number, event_id, kept_line_number from staging.duplicates order by line_number',
  );
  expect(duplicates.rows).toEqual([
    { line_number: 8, event_id: 'msg-7', kept_line_number: 7 },
    { line_number: 17, event_id: 'msg-1', kept_line_number: 1 },
  ]);
});
