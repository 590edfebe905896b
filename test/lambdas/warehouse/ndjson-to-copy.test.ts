import { idHash } from '../../../lambdas/warehouse/erasure';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { numberProblem, structureProblem } from '../../../lambdas/warehouse/line-checks';
import { LINE_LIMITS } from '../../../lambdas/warehouse/limits';
import { NdjsonToCopyRows } from '../../../lambdas/warehouse/ndjson-to-copy';

const QUOTE = '\x01';
const unquote = (field: string): string =>
  field.startsWith(QUOTE) && field.endsWith(QUOTE) ? field.slice(1, -1) : field;

/** The COPY rows the converter makes of these chunks, split into their six fields. */
async function convert(chunks: Buffer[]): Promise<{ rows: string[][]; counts: NdjsonToCopyRows['counts'] }> {
  const converter = new NdjsonToCopyRows(7);
  let out = '';
  await pipeline(
    Readable.from(chunks),
    converter,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    }),
  );
  const rows = out
    .split('\n')
    .filter((row) => row.length > 0)
    .map((row) => row.split('\x02').map(unquote));
  return { rows, counts: converter.counts };
}

const text = [
  '\ufeff{"event_id":"a","note":"café 😀"}',
  '',
  '{"event_id":"b"}\r',
  '{"broken": ',
  '   ',
  '{"event_id":"c","n":[1,2.5,-3e2]}',
].join('\n');

test('the same rows whatever the chunk boundaries, even inside a UTF-8 character or a CRLF', async () => {
  const whole = Buffer.from(text);
  const once = await convert([whole]);
  const byteByByte = await convert([...whole].map((byte) => Buffer.from([byte])));
  expect(byteByByte).toEqual(once);
  expect(once.counts).toEqual({ lines: 4, rows: 3, invalid: 1, blank: 2, forgotten: 0 });
  // file id, line number, payload, line, reason, parser message
  expect(once.rows.map((row) => row.slice(0, 3))).toEqual([
    ['7', '1', '{"event_id":"a","note":"café 😀"}'],
    ['7', '3', '{"event_id":"b"}'],
    ['7', '4', ''],
    ['7', '6', '{"event_id":"c","n":[1,2.5,-3e2]}'],
  ]);
  expect(once.rows[2]?.slice(3, 5)).toEqual(['{"broken": ', 'invalid_json']);
});

test('a line past the limit keeps only a prefix, and the lines after it are read as usual', async () => {
  const long = Buffer.alloc(3 * LINE_LIMITS.maxLineBytes, 'x');
  const chunks = [
    Buffer.from('{"event_id":"ok"}\n'),
    ...chunksOf(long, 64 * 1024),
    Buffer.from('\n{"event_id":"after"}\n'),
  ];
  const { rows, counts } = await convert(chunks);
  expect(counts).toEqual({ lines: 3, rows: 2, invalid: 1, blank: 0, forgotten: 0 });
  expect(rows[1]?.[4]).toBe('line_too_long');
  expect(rows[1]?.[3]).toHaveLength(LINE_LIMITS.keptPrefixBytes);
  expect(rows[2]?.slice(1, 3)).toEqual(['3', '{"event_id":"after"}']);
});

test('a long line as the last thing in a file, with no newline, is still one quarantined line', async () => {
  const { rows } = await convert(chunksOf(Buffer.alloc(LINE_LIMITS.maxLineBytes + 1, 'y'), 10_000));
  expect(rows.map((row) => [row[1], row[4]])).toEqual([['1', 'line_too_long']]);
});

test('only what JSON calls whitespace makes a line blank', async () => {
  const { rows, counts } = await convert([Buffer.from(' \t \n\u00a0\u3000\n')]);
  expect(counts).toMatchObject({ blank: 1, invalid: 1 });
  expect(rows.map((row) => [row[1], row[4]])).toEqual([['2', 'invalid_json']]);
});

test('bytes that are not UTF-8 make only their own line invalid', async () => {
  const bytes = Buffer.concat([Buffer.from('{"a":"\xff"}\n', 'latin1'), Buffer.from('{"b":"é"}\n')]);
  const { rows } = await convert([bytes]);
  expect(rows.map((row) => [row[1], row[4] ?? ''])).toEqual([
    ['1', 'invalid_encoding'],
    ['2', ''],
  ]);
});

test('numbers: what a double holds passes; past it, or written too long, does not', () => {
  for (const ok of [
    '0',
    '-0',
    '12',
    '1.5e307',
    '9.99e307',
    '1e-307',
    '0.5',
    '123456789012345678',
    '0e5',
    '-2147483648',
  ])
    expect({ ok, problem: numberProblem(ok) }).toEqual({ ok, problem: null });
  for (const bad of [
    '1e308',
    '-1e308',
    '1e-308',
    '1e200000',
    '1e-16384',
    '0e-999999',
    '9'.repeat(65),
    '0.' + '0'.repeat(400) + '1',
  ])
    expect({ bad, reason: numberProblem(bad)?.reason }).toEqual({ bad, reason: 'number_out_of_range' });
});

test('every way JSON can place a number is seen, whatever the spacing', () => {
  for (const line of [
    '1e999',
    '-1e999',
    '{"a":1e999}',
    '{"a": [ 1, 2E+999]}',
    '[0.5, -7.5e-400]',
    `{"a":${'9'.repeat(70)}}`,
    `{"a":0.${'0'.repeat(400)}1}`,
    `{"a" :\t1e999}`,
  ])
    expect({ line: line.slice(0, 40), reason: structureProblem(line)?.reason }).toEqual({
      line: line.slice(0, 40),
      reason: 'number_out_of_range',
    });
  expect(structureProblem('{"id":"3e4f-1e999","at":"2024-01-01T00:00:00Z","n":[1,2.5,-3e2]}')).toBeNull();
});

test('nesting is counted outside strings only', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  expect(structureProblem(deep(LINE_LIMITS.maxDepth))).toBeNull();
  expect(structureProblem(deep(LINE_LIMITS.maxDepth + 1))?.reason).toBe('too_deeply_nested');
  expect(structureProblem(JSON.stringify({ s: '[['.repeat(100), t: 'a\\"[[[' }))).toBeNull();
  expect(structureProblem(JSON.stringify({ s: 'e1e999 "1e999"', n: 1 }))).toBeNull();
});

function chunksOf(buffer: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) chunks.push(buffer.subarray(i, i + size));
  return chunks;
}

test('a line that names an erased person is dropped and counted as forgotten, JSON or not', async () => {
  const salt = 'salt';
  const tombstones = { salt, hashes: new Set([idHash(salt, 'usr_gone'), idHash(salt, 'anon-gone')]) };
  const converter = new NdjsonToCopyRows(7, Number.POSITIVE_INFINITY, { tombstones });
  const out = await new Promise<string>((resolve, reject) => {
    let text = '';
    converter.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
    converter.on('end', () => resolve(text));
    converter.on('error', reject);
    converter.end(
      Buffer.from(
        [
          '{"event_id":"a","user_id":"usr_gone"}',
          '{"messageId":"b","anonymousId":"anon-gone","type":"track"}',
          '{"event_id":"c","user_id":"usr_kept"}',
          '{"event_id":"d","user_id":"usr_gone"', // not JSON, still theirs
          '{"event_id":"e","user_id":"usr_gone_too"}',
        ].join('\n') + '\n',
      ),
    );
  });
  expect(converter.counts).toEqual({ lines: 2, rows: 2, invalid: 0, blank: 0, forgotten: 3 });
  expect(out).toContain('usr_kept');
  expect(out).toContain('usr_gone_too');
  expect(out).not.toContain('"usr_gone"');
});
