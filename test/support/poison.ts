import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { eventLine, type FixtureEvent } from './events';

/**
 * What producers have sent, or could: lines and files that once stopped the pipeline, and others of
 * the same kinds. The tests and `npm run bench:faults` run the same cases.
 */
export interface PoisonLine {
  readonly name: string;
  readonly line: string | Buffer;
  /** The quarantine reason the line must get, and a pattern its detail must match. */
  readonly reason: string;
  readonly detail?: RegExp;
}

export interface PoisonFile {
  readonly name: string;
  /** The object's bytes, as a producer uploaded them. */
  readonly bytes: () => Buffer;
  readonly rejectReason: string;
}

const base = (id: string, overrides: Partial<FixtureEvent> = {}): FixtureEvent => ({
  id,
  type: 'user_login',
  at: '2024-03-05T09:00:00Z',
  user: 'poison-user',
  ...overrides,
});

/** A line built by hand around one raw field, so that its exact text reaches the loader. */
const withRawProperty = (id: string, raw: string): string =>
  `{"event_id":"${id}","event_type":"document_edited","event_timestamp":"2024-03-05T09:00:00Z","user_id":"poison-user","properties":{"document_id":"d1","edit_duration_sec":${raw}}}`;

const longId = (): string => randomBytes(1600).toString('hex'); // 3,200 random characters

export const POISON_LINES: readonly PoisonLine[] = [
  {
    name: 'number beyond double range (1e200000)',
    line: withRawProperty('p-huge-number', '1e200000'),
    reason: 'number_out_of_range',
    detail: /1e200000/,
  },
  {
    name: 'number too small for jsonb (1e-16384)',
    line: withRawProperty('p-tiny-number', '1e-16384'),
    reason: 'number_out_of_range',
  },
  {
    name: 'number of 200,000 digits',
    line: withRawProperty('p-long-number', '9'.repeat(200_000)),
    reason: 'number_out_of_range',
    detail: /200000 characters/,
  },
  {
    name: 'nested 100,000 levels deep',
    line: withRawProperty('p-deep', '['.repeat(100_000) + ']'.repeat(100_000)),
    reason: 'too_deeply_nested',
  },
  {
    name: 'line of 2 MiB',
    line: eventLine(base('p-long-line', { properties: { title: 'x'.repeat(2 * 1024 * 1024) } })),
    reason: 'line_too_long',
  },
  {
    name: 'bytes that are not UTF-8',
    line: Buffer.concat([
      Buffer.from('{"event_id":"p-latin1","title":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]),
    reason: 'invalid_encoding',
  },
  { name: 'not JSON', line: '{"event_id": "p-broken", ', reason: 'invalid_json' },
  {
    name: 'NUL inside a string (\\u0000)',
    line: eventLine(base('p-nul', { properties: { title: 'a\u0000b' } })),
    reason: 'invalid_json',
  },
  {
    name: 'NUL in a duplicate key that JSON.parse drops',
    line: '{"event_id":"p-dup-nul","title":"\\u0000","title":"fine","event_type":"user_login","event_timestamp":"2024-03-05T09:00:00Z","user_id":"poison-user"}',
    reason: 'invalid_json',
  },
  {
    name: 'unpaired surrogate in a duplicate key',
    line: '{"event_id":"p-dup-surrogate","title":"\\ud800","title":"fine","event_type":"user_login","event_timestamp":"2024-03-05T09:00:00Z","user_id":"poison-user"}',
    reason: 'invalid_json',
  },
  {
    name: 'event_id of 3,200 random characters',
    line: eventLine(base(longId())),
    reason: 'identifier_too_long',
    detail: /^event_id$/,
  },
  {
    name: 'user_id of 3,200 random characters on a sign-up',
    line: eventLine(base('p-long-user', { type: 'user_signed_up', user: longId() })),
    reason: 'identifier_too_long',
    detail: /^user_id$/,
  },
  {
    name: 'session_id of 3,200 characters',
    line: eventLine(base('p-long-session', { session: longId() })),
    reason: 'identifier_too_long',
    detail: /^session_id$/,
  },
  {
    name: 'document_id of 3,200 characters',
    line: eventLine(base('p-long-doc', { type: 'document_created', properties: { document_id: longId() } })),
    reason: 'identifier_too_long',
    detail: /document_id/,
  },
  {
    name: 'feature_id of 3,200 characters',
    line: eventLine(base('p-long-feature', { type: 'feature_used', properties: { feature_id: longId() } })),
    reason: 'identifier_too_long',
    detail: /feature_id/,
  },
  {
    name: 'account_id of 3,200 characters',
    line: eventLine(base('p-long-account', { properties: { account_id: longId() } })),
    reason: 'identifier_too_long',
    detail: /account_id/,
  },
  {
    name: 'numeric user_id 1e299 (300 digits as text)',
    line: '{"event_id":"p-numeric-user","event_type":"user_login","event_timestamp":"2024-03-05T09:00:00Z","user_id":1e299}',
    reason: 'identifier_too_long',
    detail: /^user_id$/,
  },
  {
    name: 'event dated 1970-01-01',
    line: eventLine(base('p-1970', { at: '1970-01-01T00:00:00Z' })),
    reason: 'timestamp_too_old',
  },
  {
    name: 'event dated year 0001',
    line: eventLine(base('p-year-1', { at: '0001-01-01T00:00:00Z' })),
    reason: 'timestamp_too_old',
  },
  {
    name: 'event dated year 0000 (no such year)',
    line: eventLine(base('p-year-0', { at: '0000-01-01T00:00:00Z' })),
    reason: 'invalid_timestamp',
  },
  {
    name: 'event dated 9999-12-31',
    line: eventLine(base('p-future', { at: '9999-12-31T23:59:59Z' })),
    reason: 'future_timestamp',
  },
  {
    name: 'duration that rounds past the integer range (2147483647.5)',
    line: withRawProperty('p-rounds-over', '2147483647.5'),
    reason: 'invalid_value',
    detail: /edit_duration_sec/,
  },
];

/** Good events that share each poisoned file: they must be staged whatever the poison does. */
export function goodLines(prefix: string, count = 3): string[] {
  const at = (i: number) => new Date(Date.parse('2024-03-05T10:00:00Z') + i * 1000).toISOString();
  return Array.from({ length: count }, (_, i) =>
    eventLine(base(`${prefix}-good-${i}`, { at: at(i), user: `${prefix}-user` })),
  );
}

const ndjson = (lines: readonly string[]): Buffer => Buffer.from(lines.join('\n') + '\n');

export const POISON_FILES: readonly PoisonFile[] = [
  {
    name: 'gzip cut short',
    bytes: () => {
      const whole = gzipSync(ndjson(goodLines('truncated', 2000)));
      return whole.subarray(0, Math.floor(whole.length * 0.6));
    },
    rejectReason: 'truncated_gzip',
  },
  {
    name: 'gzip with damaged bytes',
    bytes: () => {
      const whole = Buffer.from(gzipSync(ndjson(goodLines('damaged', 2000))));
      for (let i = 200; i < 260; i++) whole[i] = 0xff - (whole[i] as number);
      return whole;
    },
    rejectReason: 'corrupt_gzip',
  },
  {
    name: 'gzip bomb: 1 GiB of one byte, no newline',
    // Sixteen gzip members of 64 MiB each (gunzip reads concatenated members as one stream): 1 GiB
    // that deflates to about 1 MiB, built in a fraction of a second.
    bytes: () => {
      const member = gzipSync(Buffer.alloc(64 * 1024 ** 2, 'a'));
      return Buffer.concat(Array.from({ length: 16 }, () => member));
    },
    rejectReason: 'compression_ratio_too_high',
  },
  {
    name: 'a PNG image, not text',
    bytes: () =>
      Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
        Buffer.from('IHDR\n{"event_id":"looks-like-json"}\n'),
      ]),
    rejectReason: 'not_text',
  },
];
