import type { S3Client } from '@aws-sdk/client-s3';
import type { HandlerDependencies } from '../../../lambdas/handlers/dependencies';
import { createListNewFilesHandler, RUN_LIMITS } from '../../../lambdas/handlers/list-new-files';
import { createLoadFileHandler } from '../../../lambdas/handlers/load-file';
import { releaseRejectedFiles } from '../../../lambdas/warehouse/files';
import { createTestDatabase, type TestDatabase } from '../../support/database';

// The S3 client is a stand-in here, and says so: these tests are about what the handlers do with
// S3's answers that the local S3 server never gives (it ignores If-Match) or that would take
// thousands of uploads to produce. Listing and reading real objects is tested against s3rver in
// test/local.
function fakeS3(
  send: (command: { constructor: { name: string }; input: unknown }) => Promise<unknown>,
): S3Client {
  return { send } as unknown as S3Client;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`insert into ops.runs (run_id, status) values ('run-files', 'running')`);
});
afterAll(() => db.drop());

const deps = (s3: S3Client, prefixes = ['events/']): HandlerDependencies => ({
  pool: async () => db.pool,
  s3: () => s3,
  landing: { bucket: 'landing', prefixes },
});

test('each landing prefix is listed, and only event files of either format are taken', async () => {
  const keys = [
    'events/dt=2024-01-01/part-0000.ndjson.gz',
    'events/dt=2024-01-01/_SUCCESS',
    'segment-logs/AbC123/1704067200000/1704067200000.9f8e7d6c.gz',
    'segment-logs/AbC123/1704067200000/manifest.json',
    'other/dt=2024-01-01/part-0000.ndjson.gz',
  ];
  const s3 = fakeS3(async (command) => {
    const prefix = (command.input as { Prefix: string }).Prefix;
    return {
      Contents: keys.filter((key) => key.startsWith(prefix)).map((Key) => ({ Key, ETag: '"x"', Size: 1 })),
    };
  });
  const result = await createListNewFilesHandler(deps(s3, ['events/', 'segment-logs/']))({
    runId: 'run-files',
  });
  expect(result.items.map((item) => item.key)).toEqual([
    'events/dt=2024-01-01/part-0000.ndjson.gz',
    'segment-logs/AbC123/1704067200000/1704067200000.9f8e7d6c.gz',
  ]);
});

test('a long backlog is taken in runs that keep the list small enough for the state, oldest keys first', async () => {
  const longPrefix = 'events/source=a-producer-with-a-rather-long-name/region=eu-central-1/dt=2024-01-01/';
  const contents = Array.from({ length: 1500 }, (_, i) => ({
    Key: `${longPrefix}part-${String(i).padStart(5, '0')}.ndjson.gz`,
    ETag: `"${'e'.repeat(32)}"`,
    Size: 1000,
  }));
  const list = createListNewFilesHandler(
    deps(fakeS3(async () => ({ Contents: contents, IsTruncated: false }))),
  );
  const result = await list({ runId: 'run-files' });
  expect(result.count).toBe(1500);
  expect(result.truncated).toBe(true);
  expect(JSON.stringify(result.items).length).toBeLessThanOrEqual(RUN_LIMITS.listBytes);
  expect(result.items[0]?.key).toBe(contents[0]?.Key);
  expect(result.items.length).toBeGreaterThan(400);
  // The rest waits for the next round of this run.
  expect(result).toMatchObject({ left: 1500 - result.items.length, more: true });
});

test('a run goes round until its bound; a file it tried already waits for the next run, not the next round', async () => {
  const saved = RUN_LIMITS.filesPerRun;
  RUN_LIMITS.filesPerRun = 3;
  try {
    await db.pool.query(`insert into ops.runs (run_id, status) values ('run-bound', 'failed')`);
    const contents = ['a', 'b', 'c', 'd'].map((name) => ({
      Key: `events/dt=2024-02-01/${name}.ndjson.gz`,
      ETag: `"${name}"`,
      Size: 10,
    }));
    const list = createListNewFilesHandler(deps(fakeS3(async () => ({ Contents: contents }))));
    expect(await list({ runId: 'run-bound' })).toMatchObject({ count: 4, left: 1, more: false });
    // This run failed to load a, and loaded b: neither is listed again in it; c and d are.
    await db.pool.query(
      `insert into raw.files (bucket, object_key, etag, status, last_run_id, failed_runs) values
         ('landing', 'events/dt=2024-02-01/a.ndjson.gz', 'a', 'failed', 'run-bound', 1),
         ('landing', 'events/dt=2024-02-01/b.ndjson.gz', 'b', 'loaded', 'run-bound', 0)`,
    );
    const again = await list({ runId: 'run-bound' });
    // Room for one more file in this run: c; d is left, and the run goes no further round.
    expect(again.items.map((item) => item.key)).toEqual(['events/dt=2024-02-01/c.ndjson.gz']);
    expect(again).toMatchObject({ count: 2, left: 1, more: false });
    // The next run lists a again, with c and d.
    const next = await list({ runId: 'run-files' });
    expect(next.items.map((item) => item.key)).toEqual([
      'events/dt=2024-02-01/a.ndjson.gz',
      'events/dt=2024-02-01/c.ndjson.gz',
      'events/dt=2024-02-01/d.ndjson.gz',
    ]);
  } finally {
    RUN_LIMITS.filesPerRun = saved;
  }
});

test('a run takes at most a gigabyte of gzipped files, but always at least one file', async () => {
  const contents = [
    { Key: 'events/dt=2024-01-01/part-0000.ndjson.gz', ETag: '"a"', Size: 2 * 1024 ** 3 },
    { Key: 'events/dt=2024-01-02/part-0000.ndjson.gz', ETag: '"b"', Size: 10 },
  ];
  const result = await createListNewFilesHandler(deps(fakeS3(async () => ({ Contents: contents }))))({
    runId: 'run-files',
  });
  expect(result.items.map((item) => item.key)).toEqual(['events/dt=2024-01-01/part-0000.ndjson.gz']);
  expect(result).toMatchObject({ count: 2, truncated: true });
});

test('a file replaced or deleted since it was listed is left for the next run instead of failing this one', async () => {
  const failing = (name: string) =>
    fakeS3(async () => {
      const error = new Error(name);
      error.name = name;
      throw error;
    });
  const changed = await createLoadFileHandler(deps(failing('PreconditionFailed')))({
    runId: 'run-files',
    key: 'events/dt=2024-01-01/a.ndjson.gz',
    etag: 'old',
  });
  expect(changed).toEqual({ key: 'events/dt=2024-01-01/a.ndjson.gz', status: 'changed', rows: 0 });
  const missing = await createLoadFileHandler(deps(failing('NoSuchKey')))({
    runId: 'run-files',
    key: 'events/dt=2024-01-01/b.ndjson.gz',
    etag: 'old',
  });
  expect(missing.status).toBe('missing');
  await expect(
    createLoadFileHandler(deps(failing('AccessDenied')))({ runId: 'run-files', key: 'k.ndjson', etag: 'x' }),
  ).rejects.toThrow('AccessDenied');
});

test('a file that fails for a passing reason in three runs is rejected, not retried for ever; released, it is listed again', async () => {
  const key = 'events/dt=2024-01-03/flaky.ndjson.gz';
  const unavailable = fakeS3(async () => {
    const error = new Error('We encountered an internal error. Please try again.');
    error.name = 'ServiceUnavailable';
    throw error;
  });
  const listing = fakeS3(async () => ({ Contents: [{ Key: key, ETag: '"flaky"', Size: 10 }] }));
  const load = createLoadFileHandler(deps(unavailable));
  for (const runId of ['run-flaky-1', 'run-flaky-2', 'run-flaky-3']) {
    await db.pool.query(`insert into ops.runs (run_id, status) values ($1, 'failed')`, [runId]);
    // The state machine's retries within one run count as one failed run.
    for (let attempt = 0; attempt < 3; attempt++)
      await expect(load({ runId, key, etag: 'flaky' })).rejects.toThrow(/internal error/);
  }
  const failed = await db.pool.query(
    `select status, failed_runs, attempts, error from raw.files where object_key = $1`,
    [key],
  );
  expect(failed.rows[0]).toEqual({
    status: 'failed',
    failed_runs: 3,
    attempts: 9,
    error: 'We encountered an internal error. Please try again.',
  });
  expect((await createListNewFilesHandler(deps(listing))({ runId: 'run-files' })).count).toBe(1);

  // The next run's attempt finds three failed runs and rejects the file instead of trying again.
  await db.pool.query(`insert into ops.runs (run_id, status) values ('run-flaky-4', 'failed')`);
  await expect(load({ runId: 'run-flaky-4', key, etag: 'flaky' })).resolves.toMatchObject({
    status: 'rejected',
    rejectReason: 'too_many_failures',
  });
  const rejected = await db.pool.query(
    `select status, reject_reason, error from raw.files where object_key = $1`,
    [key],
  );
  expect(rejected.rows[0]).toMatchObject({ status: 'rejected', reject_reason: 'too_many_failures' });
  expect(rejected.rows[0].error).toMatch(
    /failed in 3 runs; the last error: We encountered an internal error/,
  );
  expect((await createListNewFilesHandler(deps(listing))({ runId: 'run-files' })).count).toBe(0);

  expect(await releaseRejectedFiles(db.pool, { key }, { by: 'the test' })).toEqual([{ key, etag: 'flaky' }]);
  expect((await createListNewFilesHandler(deps(listing))({ runId: 'run-files' })).count).toBe(1);
  expect(await releaseRejectedFiles(db.pool, { key })).toEqual([]);
  // After an outage, every file it failed is released at once, by reason.
  await db.pool.query(
    `update raw.files set status = 'rejected', reject_reason = 'too_many_failures' where object_key = $1`,
    [key],
  );
  expect(await releaseRejectedFiles(db.pool, { reason: 'too_many_failures' })).toEqual([
    { key, etag: 'flaky' },
  ]);
});
