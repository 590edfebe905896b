import type { S3Client } from '@aws-sdk/client-s3';
import type { HandlerDependencies } from '../../../lambdas/handlers/dependencies';
import { createListNewFilesHandler, RUN_LIMITS } from '../../../lambdas/handlers/list-new-files';
import { createLoadFileHandler } from '../../../lambdas/handlers/load-file';
import { createTestDatabase, type TestDatabase } from '../../support/database';

// The S3 client is a stand-in here, and says so: these tests are about what the handlers do with
// S3's answers that the local S3 server never gives (it ignores If-Match) or that would take
// thousands of uploads to produce. Listing and reading real objects is tested against s3rver in
// test/lib/local.
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

const deps = (s3: S3Client): HandlerDependencies => ({
  pool: async () => db.pool,
  s3: () => s3,
  landing: { bucket: 'landing', prefix: 'events/' },
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
