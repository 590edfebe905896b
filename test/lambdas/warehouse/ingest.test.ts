import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ingestFile, IngestError } from '../../../lambdas/warehouse/ingest';
import { FILE_LIMITS } from '../../../lambdas/warehouse/limits';
import { countLoadAttempt } from '../../../lambdas/warehouse/file-ledger';
import { asStepError } from '../../../lambdas/handlers/step';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { eventLine, ndjsonSource } from '../../support/events';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const login = (id: string) =>
  eventLine({ id, type: 'user_login', at: '2024-01-15T09:00:00Z', user: 'usr_1' });

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `select count(*)::integer as n from (${sql}) as q`,
    params,
  );
  return rows[0]?.n ?? -1;
}

test('loads every JSON line with its line number and keeps the lines that are not JSON', async () => {
  const lines = [
    login('a1'),
    '',
    '{"event_id": "a2", broken',
    login('a3') + '\r',
    '   ',
    'null',
    '{"x":"\\u0000"}',
  ];
  const result = await ingestFile(db.pool, ndjsonSource('events/dt=2024-01-15/a.ndjson.gz', lines));

  expect(result).toMatchObject({ status: 'loaded', lines: 5, rows: 3, invalidLines: 2, blankLines: 2 });
  const events = await db.pool.query(
    'select line_number, payload from raw.events where file_id = $1 and line_reason is null order by 1',
    [result.fileId],
  );
  expect(events.rows.map((r) => r.line_number)).toEqual([1, 4, 6]);
  expect(events.rows[0].payload.event_id).toBe('a1');
  expect(events.rows[2].payload).toBeNull();
  const invalid = await db.pool.query(
    'select line_number, line, error from raw.invalid_lines where file_id = $1 order by 1',
    [result.fileId],
  );
  expect(invalid.rows.map((r) => [r.line_number, r.line])).toEqual([
    [3, '{"event_id": "a2", broken'],
    [7, '{"x":"\\u0000"}'],
  ]);
  expect(invalid.rows[1].error).toMatch(/jsonb/);
  const ledger = await db.pool.query('select * from raw.files where file_id = $1', [result.fileId]);
  expect(ledger.rows[0]).toMatchObject({
    status: 'loaded',
    line_count: 5,
    row_count: 3,
    invalid_line_count: 2,
    blank_line_count: 2,
  });
});

test('an invalid line is kept exactly, even with the characters COPY quotes and delimits with', async () => {
  const line = 'not json \x01 with \x02, "quotes", a tab\tand a bare \r inside';
  const result = await ingestFile(
    db.pool,
    ndjsonSource('events/dt=2024-01-15/csv.ndjson.gz', [line, login('csv1')]),
  );
  expect(result).toMatchObject({ status: 'loaded', rows: 1, invalidLines: 1 });
  const { rows } = await db.pool.query('select line, reason from raw.invalid_lines where file_id = $1', [
    result.fileId,
  ]);
  expect(rows).toEqual([{ line, reason: 'invalid_json' }]);
});

test('keeps JSON text exactly, escapes and all', async () => {
  const tricky = {
    event_id: 'esc1',
    note: 'tab\there, quote " backslash \\ newline \n unicode é 😀 \u2028',
    nested: { path: 'C:\\temp\\x', list: [1, 2.5, -3e2] },
  };
  const result = await ingestFile(
    db.pool,
    ndjsonSource('events/dt=2024-01-15/esc.ndjson', [JSON.stringify(tricky)], { gzip: false }),
  );
  const { rows } = await db.pool.query('select payload from raw.events where file_id = $1', [result.fileId]);
  expect(rows[0].payload).toEqual(tricky);
});

test('the same key and ETag loaded twice adds nothing; a new ETag is a new file', async () => {
  const lines = [login('b1'), login('b2')];
  const first = await ingestFile(db.pool, ndjsonSource('events/dt=2024-01-16/b.ndjson.gz', lines));
  const again = await ingestFile(db.pool, ndjsonSource('events/dt=2024-01-16/b.ndjson.gz', lines));
  expect(first.status).toBe('loaded');
  expect(again).toMatchObject({ status: 'skipped', fileId: first.fileId, rows: 0 });
  expect(await count('select * from raw.events where file_id = $1', [first.fileId])).toBe(2);

  const changed = await ingestFile(
    db.pool,
    ndjsonSource('events/dt=2024-01-16/b.ndjson.gz', [...lines, login('b3')]),
  );
  expect(changed.status).toBe('loaded');
  expect(changed.fileId).not.toBe(first.fileId);
});

test('two loaders of the same file at once load it once', async () => {
  const lines = Array.from({ length: 2000 }, (_, i) => login(`c${i}`));
  const results = await Promise.all([
    ingestFile(db.pool, ndjsonSource('events/dt=2024-01-17/c.ndjson.gz', lines)),
    ingestFile(db.pool, ndjsonSource('events/dt=2024-01-17/c.ndjson.gz', lines)),
  ]);
  expect(results.map((r) => r.status).sort()).toEqual(['loaded', 'skipped']);
  expect(
    await count(
      `select * from raw.events e join raw.files f using (file_id) where f.object_key like '%/c.ndjson.gz'`,
    ),
  ).toBe(2000);
});

test('a stream that dies mid-way leaves no rows, is marked failed with the error, and loads on retry', async () => {
  const lines = Array.from({ length: 5000 }, (_, i) => login(`d${i}`));
  const whole = gzipSync(lines.join('\n') + '\n');
  const source = {
    bucket: 'landing',
    key: 'events/dt=2024-01-18/d.ndjson.gz',
    etag: 'etag-d',
    sizeBytes: whole.length,
  };
  // A dropped S3 connection: a retry can fix it.
  const dying = () =>
    new Readable({
      read() {
        this.push(whole.subarray(0, 1000));
        this.destroy(new Error('socket hang up'));
      },
    });
  await expect(ingestFile(db.pool, { ...source, body: dying() })).rejects.toThrow(IngestError);
  const failed = await db.pool.query(
    `select file_id, status, error, attempts, failed_runs from raw.files where etag = 'etag-d'`,
  );
  expect(failed.rows[0]).toMatchObject({ status: 'failed', attempts: 1, failed_runs: 1 });
  expect(failed.rows[0].error).toMatch(/socket hang up/);
  expect(await count('select * from raw.events where file_id = $1', [failed.rows[0].file_id])).toBe(0);

  await expect(ingestFile(db.pool, { ...source, body: dying() })).rejects.toThrow(/socket hang up/);

  const retried = await ingestFile(db.pool, { ...source, body: Readable.from([whole]) });
  expect(retried).toMatchObject({ status: 'loaded', rows: 5000, fileId: failed.rows[0].file_id });
  const ledger = await db.pool.query(`select status, error, attempts from raw.files where etag = 'etag-d'`);
  expect(ledger.rows[0]).toEqual({ status: 'loaded', error: null, attempts: 3 });
});

test('an empty file is loaded as a file with no lines', async () => {
  const result = await ingestFile(db.pool, {
    bucket: 'landing',
    key: 'events/dt=2024-01-19/empty.ndjson.gz',
    etag: 'empty',
    body: Readable.from([gzipSync('')]),
  });
  expect(result).toMatchObject({ status: 'loaded', lines: 0, rows: 0 });
});

test('a file that inflates past the size limit is rejected as file_too_large, with nothing kept', async () => {
  const lines = Array.from({ length: 200 }, (_, i) => login(`big${i}`));
  const result = await ingestFile(db.pool, ndjsonSource('events/dt=2024-01-20/big.ndjson.gz', lines), {
    limits: { ...FILE_LIMITS, maxInflatedBytes: 10_000 },
  });
  expect(result).toMatchObject({ status: 'rejected', rejectReason: 'file_too_large', rows: 0 });
  expect(await count('select * from raw.events where file_id = $1', [result.fileId])).toBe(0);
  const ledger = await db.pool.query(
    'select status, reject_reason, error from raw.files where file_id = $1',
    [result.fileId],
  );
  expect(ledger.rows[0]).toMatchObject({ status: 'rejected', reject_reason: 'file_too_large' });
  expect(ledger.rows[0].error).toMatch(/more than 10000 bytes once inflated/);
});

test('an attempt is counted before it begins: loads that died with their process still end in a rejection', async () => {
  const file = { bucket: 'landing', key: 'events/dt=2024-01-21/dies.ndjson.gz', etag: 'etag-dies' };
  // Three runs whose loads were killed (a Lambda timeout, kill -9): each counted, none recorded an end.
  for (const runId of ['run-died-1', 'run-died-2', 'run-died-3'])
    expect(await countLoadAttempt(db.pool, file, runId)).toEqual({ proceed: true });
  const counted = await db.pool.query('select status, failed_runs, attempts from raw.files where etag = $1', [
    file.etag,
  ]);
  expect(counted.rows[0]).toEqual({ status: 'failed', failed_runs: 3, attempts: 3 });
  const fourth = await ingestFile(
    db.pool,
    { ...file, body: Readable.from([gzipSync(login('dies1'))]) },
    {
      runId: 'run-died-4',
    },
  );
  expect(fourth).toMatchObject({ status: 'rejected', rejectReason: 'too_many_failures' });
  expect(fourth.detail).toMatch(/^failed in 3 runs; the last error: a load began and has not finished/);
});

test('a lost connection during a load stays a failure to retry: its SQLSTATE survives the wrapping', () => {
  const lost = Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
  });
  const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
  expect(asStepError(new IngestError('k', lost)).name).toBe('TransientError');
  expect(asStepError(new IngestError('k', deadlock)).name).toBe('TransientError');
  expect(asStepError(new IngestError('k', new Error('no such thing'))).name).toBe('IngestError');
});

test('a file of more lines than one staging call may take is rejected as too_many_lines', async () => {
  const lines = Array.from({ length: 50 }, (_, i) => login(`many${i}`));
  const result = await ingestFile(db.pool, ndjsonSource('events/dt=2024-01-22/many.ndjson.gz', lines), {
    limits: { ...FILE_LIMITS, maxLines: 40 },
  });
  expect(result).toMatchObject({
    status: 'rejected',
    rejectReason: 'too_many_lines',
    detail: 'more than 40 lines',
  });
  expect(await count('select * from raw.events where file_id = $1', [result.fileId])).toBe(0);
});
