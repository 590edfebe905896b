import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createLocalHandlers } from '../../local/handlers';
import {
  executeStateMachine,
  renderStateMachine,
  type RenderedStateMachine,
} from '../../local/state-machine';
import { createPool, type Pool } from '../../lambdas/warehouse/db';
import { parseErasureRequest } from '../../lambdas/warehouse/erasure-requests';
import { runWarehouse } from '../../lambdas/warehouse/pipeline';
import { COHORT_EVENTS, cohortFiles } from '../support/cohort-fixture';
import { createTestDatabase, PUBLISHED_TABLES, snapshotTables, type TestDatabase } from '../support/database';
import { startTestS3, type TestS3 } from '../support/s3';

// Erasure on AWS: a request file under erasure-requests/ in the landing bucket, carried out by the
// state machine's first step with the eraser's role. Executed here by the real state machine, on a
// real S3 API server and PostgreSQL.
const AS_OF = '2024-03-15';
let rendered: RenderedStateMachine;
let s3: TestS3;
let db: TestDatabase;
let eraser: Pool;

const put = (key: string, body: string) =>
  s3.client.send(new PutObjectCommand({ Bucket: 'landing', Key: key, Body: body }));
const requestKeys = async () =>
  (
    (await s3.client.send(new ListObjectsV2Command({ Bucket: 'landing', Prefix: 'erasure-requests/' })))
      .Contents ?? []
  )
    .map((object) => object.Key)
    .sort();

function run(executionName: string) {
  const deps = (pool: Pool) => ({
    pool: async () => pool,
    s3: () => s3.client,
    landing: { bucket: 'landing', prefixes: ['events/', 'segment-logs/'] },
  });
  return executeStateMachine(rendered, {
    input: { asOf: AS_OF },
    executionName,
    handlers: createLocalHandlers(deps(db.pool), deps(db.pool), deps(eraser)),
    retryIntervalSeconds: 0,
  });
}

beforeAll(async () => {
  rendered = renderStateMachine();
  [s3, db] = await Promise.all([startTestS3(['landing']), createTestDatabase()]);
  for (const file of cohortFiles()) await s3.put(file);
  // The eraser's role only, as the erasure step's login holds it on AWS.
  eraser = createPool(db.url, 1, { role: 'saas_eraser' });
  expect((await run('before-erasure')).status).toBe('SUCCEEDED');
}, 60_000);
afterAll(async () => {
  await eraser?.end();
  await Promise.all([db?.drop(), s3?.close()]);
});

test('a request file erases the person in the next run, which publishes figures as if they were never seen', async () => {
  await put(
    'erasure-requests/ticket-4711.json',
    JSON.stringify({ userId: 'u2', requestedBy: 'privacy ticket 4711' }),
  );
  const result = await run('with-request');
  expect(result.status).toBe('SUCCEEDED');
  expect((result.output as { erasures: unknown }).erasures).toMatchObject({
    requests: 1,
    erased: 1,
    rejected: 0,
  });

  const { rows: audit } = await db.pool.query(
    `select e.requested_by, r.object_key, r.status from ops.erasures as e
     inner join ops.erasure_requests as r using (erasure_id)`,
  );
  expect(audit).toEqual([
    {
      requested_by: 'privacy ticket 4711',
      object_key: 'erasure-requests/ticket-4711.json',
      status: 'erased',
    },
  ]);
  // The request named the person: it does not stay in the bucket.
  expect(await requestKeys()).toEqual([]);
  const { rows: steps } = await db.pool.query(
    `select details from ops.run_steps where run_id = 'with-request' and step_name = 'erase_requested'`,
  );
  expect(JSON.stringify(steps)).not.toContain('u2');

  const reference = await createTestDatabase();
  try {
    await runWarehouse(reference.pool, {
      sources: cohortFiles(COHORT_EVENTS.filter((event) => event.user !== 'u2')),
      asOf: AS_OF,
    });
    expect(await snapshotTables(db.pool, PUBLISHED_TABLES, { ignoreLineage: true })).toEqual(
      await snapshotTables(reference.pool, PUBLISHED_TABLES, { ignoreLineage: true }),
    );
  } finally {
    await reference.drop();
  }
});

test('a request that cannot be carried out is rejected with its reason, left for the operator, and not tried again', async () => {
  await put('erasure-requests/broken.json', '{"userId": "u3"');
  await put('erasure-requests/typo.json', JSON.stringify({ userID: 'u3' }));
  const first = await run('bad-requests');
  expect(first.status).toBe('SUCCEEDED');
  expect((first.output as { erasures: unknown }).erasures).toMatchObject({
    requests: 2,
    erased: 0,
    rejected: 2,
  });
  const { rows } = await db.pool.query(
    `select object_key, status, reason from ops.erasure_requests where status = 'rejected' order by object_key`,
  );
  expect(rows).toEqual([
    { object_key: 'erasure-requests/broken.json', status: 'rejected', reason: 'not JSON' },
    {
      object_key: 'erasure-requests/typo.json',
      status: 'rejected',
      reason: 'unknown field "userID": a request has userId and, optionally, requestedBy',
    },
  ]);
  // Never the id in a reason, and the person is still there.
  expect(JSON.stringify(rows)).not.toContain('u3');
  expect(await requestKeys()).toEqual(['erasure-requests/broken.json', 'erasure-requests/typo.json']);
  const { rows: u3 } = await db.pool.query(
    `select count(*)::integer as n from core.fact_events where user_id = 'u3'`,
  );
  expect(u3[0].n).toBeGreaterThan(0);

  const again = await run('bad-requests-again');
  expect((again.output as { erasures: unknown }).erasures).toMatchObject({ requests: 0, rejected: 0 });
  const { rows: count } = await db.pool.query(`select count(*)::integer as n from ops.erasure_requests`);
  expect(count[0].n).toBe(3);

  // Fixed, it is a new version of the file: carried out.
  await put('erasure-requests/typo.json', JSON.stringify({ userId: 'u3' }));
  const fixed = await run('fixed-request');
  expect((fixed.output as { erasures: unknown }).erasures).toMatchObject({ requests: 1, erased: 1 });
  const { rows: gone } = await db.pool.query(
    `select count(*)::integer as n from core.fact_events where user_id = 'u3'`,
  );
  expect(gone[0].n).toBe(0);
  expect(await requestKeys()).toEqual(['erasure-requests/broken.json']);
});

test('parseErasureRequest: a userId and an optional requestedBy, nothing else', () => {
  expect(parseErasureRequest('{"userId":"u9"}', 'erasure-requests/a.json')).toEqual({
    ok: true,
    userId: 'u9',
    requestedBy: 'request file erasure-requests/a.json',
  });
  expect(parseErasureRequest('[]', 'k')).toEqual({ ok: false, reason: 'not a JSON object' });
  expect(parseErasureRequest('{"userId":" "}', 'k')).toEqual({
    ok: false,
    reason: 'userId must be a non-empty string',
  });
  expect(parseErasureRequest('{"userId":7}', 'k')).toMatchObject({ ok: false });
  expect(parseErasureRequest(`{"userId":"${'x'.repeat(300)}"}`, 'k')).toMatchObject({ ok: false });
  expect(parseErasureRequest(`{"userId":"u9","requestedBy":"${'x'.repeat(70_000)}"}`, 'k')).toEqual({
    ok: false,
    reason: 'larger than 65536 bytes',
  });
});
