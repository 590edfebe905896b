import { readFileSync } from 'node:fs';
import { EVENT_TYPES } from '../../../generator/catalog';
import path from 'node:path';
import { migrate, loadSchema } from '../../../lambdas/warehouse/migrate';
import { parseSegmentMapping } from '../../../lambdas/warehouse/segment-mapping';
import { seedOf } from '../../../lambdas/warehouse/seeds';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const TYPES = ['document_edited', 'user_login'];
const shipped = readFileSync(path.join(__dirname, '../../../sql/seeds/segment_mapping.json'), 'utf8');
const parse = (mapping: unknown) => () => parseSegmentMapping(JSON.stringify(mapping), TYPES, 'm.json');
const valid = { version: 3, track: { 'Document Edited': { event_type: 'document_edited', fields: {} } } };

test('a valid mapping gives one row per entry, with the defaults under each event', () => {
  const mapping = parseSegmentMapping(
    JSON.stringify({
      ...valid,
      defaults: { session_id: 'properties.sessionId', platform: 'context.device.type' },
      track: {
        'Document Edited': {
          event_type: 'document_edited',
          fields: { edit_duration_sec: 'properties.durationSeconds', platform: 'context.os.name' },
        },
      },
      identify: { email: 'traits.email' },
    }),
    TYPES,
  );
  expect(mapping.version).toBe(3);
  expect(mapping.rows).toEqual([
    {
      messageType: 'track',
      sourceEvent: 'Document Edited',
      eventType: 'document_edited',
      // An event's own field wins over the default.
      targets: ['edit_duration_sec', 'platform', 'session_id'],
      sourcePaths: ['properties.durationSeconds', 'context.os.name', 'properties.sessionId'],
    },
    {
      messageType: 'identify',
      sourceEvent: '',
      eventType: null,
      targets: ['email'],
      sourcePaths: ['traits.email'],
    },
    { messageType: 'group', sourceEvent: '', eventType: null, targets: [], sourcePaths: [] },
    { messageType: 'alias', sourceEvent: '', eventType: null, targets: [], sourcePaths: [] },
  ]);
});

test.each([
  ['not JSON', '{', /m\.json: the file: not JSON/],
  ['no version', { track: {} }, /m\.json: version: must be a whole number/],
  ['a version of 0', { ...valid, version: 0 }, /version: must be a whole number/],
  ['an unknown section', { ...valid, tracks: {} }, /m\.json: tracks: unknown section/],
  [
    'an event type the contract lacks',
    { ...valid, track: { 'Doc Edited': { event_type: 'document_editted' } } },
    /m\.json: track\."Doc Edited"\.event_type: "document_editted" is not an event type of the contract \(document_edited, user_login\)/,
  ],
  [
    'an unknown field',
    {
      ...valid,
      track: { 'Doc Edited': { event_type: 'document_edited', fields: { duration: 'properties.d' } } },
    },
    /track\."Doc Edited"\.fields\.duration: unknown field; the fields are session_id, /,
  ],
  [
    'a path outside properties, traits and context',
    { ...valid, track: { X: { event_type: 'user_login', fields: { method: 'userId' } } } },
    /track\."X"\.fields\.method: "userId" is not a path such as properties\.documentId/,
  ],
  [
    'an unknown key in an entry',
    { ...valid, page: { Home: { event_type: 'user_login', field: {} } } },
    /page\."Home"\.field: unknown key/,
  ],
  [
    'a trait that is not a user attribute',
    { ...valid, identify: { phone: 'traits.phone' } },
    /identify\.phone: unknown field; the fields are email, name, plan, company, country/,
  ],
])('refuses %s, naming the entry', (_, mapping, message) => {
  expect(
    typeof mapping === 'string' ? () => parseSegmentMapping(mapping, TYPES, 'm.json') : parse(mapping),
  ).toThrow(message);
});

test('the shipped mapping is valid and maps every event type of the contract', () => {
  const all = [...EVENT_TYPES];
  const mapping = parseSegmentMapping(shipped, all);
  expect(new Set(mapping.rows.map((row) => row.eventType).filter((type) => type !== null))).toEqual(
    new Set(all),
  );
});

describe('in the warehouse', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  test('migrate loads it into staging.segment_mappings, and refuses a broken edit whole', async () => {
    const loaded = await db.pool.query(
      `select mapping_version, targets, source_paths from staging.segment_mappings
       where message_type = 'track' and source_event = 'Document Edited'`,
    );
    expect(loaded.rows).toEqual([
      {
        mapping_version: JSON.parse(shipped).version,
        targets: ['characters_added', 'document_id', 'edit_duration_sec', 'platform', 'session_id'],
        source_paths: [
          'properties.charactersAdded',
          'properties.documentId',
          'properties.durationSeconds',
          'context.device.type',
          'properties.sessionId',
        ],
      },
    ]);
    const schema = loadSchema();
    const broken = shipped.replace('"event_type": "document_edited"', '"event_type": "document_editted"');
    const seeds = (schema.seeds ?? []).map((seed) =>
      seed.name === 'segment_mapping' ? seedOf('segment_mapping', broken, 'json') : seed,
    );
    await expect(migrate(db.pool, { ...schema, seeds })).rejects.toThrow(
      /sql\/seeds\/segment_mapping\.json: track\."Document Edited"\.event_type: "document_editted" is not an event type/,
    );
    const after = await db.pool.query(`select count(*)::integer as n from staging.segment_mappings`);
    expect(after.rows[0].n).toBe(15);
  });

  test('a new mapping marks no date pending: it applies to what is staged next, or to what reprocess re-derives', async () => {
    // A staged date, which a price-list change would mark pending.
    await db.pool.query(
      `insert into staging.events (event_id, event_type, event_at, event_date, user_id, file_id, line_number)
       values ('e1', 'user_login', '2024-01-01T10:00:00Z', '2024-01-01', 'usr_1', 1, 1)`,
    );
    await db.pool.query('delete from ops.pending_dates');
    const schema = loadSchema();
    const edited = shipped.replace('"version": 1', '"version": 2');
    const seeds = (schema.seeds ?? []).map((seed) =>
      seed.name === 'segment_mapping' ? seedOf('segment_mapping', edited, 'json') : seed,
    );
    const { applied } = await migrate(db.pool, { ...schema, seeds });
    expect(applied).toEqual(['seeds/segment_mapping.json']);
    const versions = await db.pool.query('select distinct mapping_version from staging.segment_mappings');
    expect(versions.rows).toEqual([{ mapping_version: 2 }]);
    const pending = await db.pool.query('select count(*)::integer as n from ops.pending_dates');
    expect(pending.rows[0].n).toBe(0);
  });
});
