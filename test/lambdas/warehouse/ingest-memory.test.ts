import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGzip, gzipSync } from 'node:zlib';
import type { FaultCaseResult } from '../../../bench/fault-case';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { goodLines, POISON_FILES } from '../../support/poison';

// The loader's memory is bounded by the line limit, not by the file. Each case loads in a process of
// its own (bench/fault-case.ts, read from disk as a stream), which samples its resident memory while
// the run goes (not maxRSS: Linux carries that over from the parent across fork and exec, so a child
// of a big jest worker would report the worker's). Measured here: about 80 MB for a file of three
// lines, 90 MB for a 1 GiB gzip bomb, 130-146 MB for 110 MB of invalid lines and about as much for
// three times as many (GC headroom, not the input).
const PEAK_RSS_BOUND_MB = 200;

jest.setTimeout(120_000);

const run = promisify(execFile);
let folder: string;
let db: TestDatabase;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'saas-memory-'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.drop());

async function loadInChild(file: string): Promise<FaultCaseResult> {
  const { stdout } = await run(
    process.execPath,
    ['-r', 'tsx/cjs', path.resolve(__dirname, '../../../bench/fault-case.ts'), db.url, file],
    { maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as FaultCaseResult;
}

test(`a gzip bomb (1 GiB, no newline) is rejected within seconds, under ${PEAK_RSS_BOUND_MB} MB`, async () => {
  const file = path.join(folder, 'bomb.ndjson.gz');
  const bomb = POISON_FILES.find((poison) => poison.rejectReason === 'compression_ratio_too_high');
  if (!bomb) throw new Error('the poison catalogue has no gzip bomb');
  await writeFile(file, bomb.bytes());
  const result = await loadInChild(file);
  expect(result).toMatchObject({ status: 'rejected', rejectReason: 'compression_ratio_too_high' });
  expect(result.seconds).toBeLessThan(10);
  expect(result.peakRssMb).toBeLessThan(PEAK_RSS_BOUND_MB);
});

test(`60,000 invalid lines (33 MB) are quarantined as they come, under ${PEAK_RSS_BOUND_MB} MB`, async () => {
  const file = path.join(folder, 'invalid.ndjson.gz');
  // Random text, so that it does not compress like a bomb; written as a stream.
  const lines = Readable.from(
    (function* () {
      yield goodLines('memory').join('\n') + '\n';
      for (let i = 0; i < 60_000; i++) yield `{"not json ${randomBytes(275).toString('hex')}\n`;
    })(),
  );
  await pipeline(lines, createGzip({ level: 1 }), createWriteStream(file));
  const result = await loadInChild(file);
  expect(result).toMatchObject({ status: 'loaded', lines: 60_003, staged: 3, quarantined: 60_000 });
  expect(result.peakRssMb).toBeLessThan(PEAK_RSS_BOUND_MB);
});

test('a file of three lines, for comparison', async () => {
  const file = path.join(folder, 'small.ndjson.gz');
  await writeFile(file, gzipSync(goodLines('small').join('\n') + '\n'));
  const result = await loadInChild(file);
  expect(result).toMatchObject({ status: 'loaded', staged: 3 });
  expect(result.peakRssMb).toBeLessThan(PEAK_RSS_BOUND_MB);
});
