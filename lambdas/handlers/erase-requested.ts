import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { stepNameOf } from '../plan';
import type { Pool } from '../warehouse/db';
import { forgetPerson } from '../warehouse/erasure';
import {
  ERASURE_REQUEST_PREFIX,
  ERASURES_PER_RUN,
  parseErasureRequest,
  REQUEST_MAX_BYTES,
  TOO_LARGE,
} from '../warehouse/erasure-requests';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { asStepError, expectString, runStep, TransientError } from './step';
import { lambdaHandler, logger, recordMetric } from './telemetry';

/** Counts only: the step's record (ops.run_steps) and the execution's state never hold an id. */
export interface ErasedRequests {
  /** Request files found under the prefix that were not handled before. */
  readonly requests: number;
  readonly erased: number;
  readonly rejected: number;
  /** Requests left for the next run (ERASURES_PER_RUN). */
  readonly left: number;
  readonly erasureIds: number[];
}

interface RequestObject {
  readonly key: string;
  readonly etag: string;
  readonly sizeBytes: number;
}

/**
 * The run's first step: carries out the erasure requests dropped under erasure-requests/ in the
 * landing bucket (README, "Erasure"), before any new file loads, so that the tombstones apply to it.
 * Each request is one transaction, recorded in ops.erasure_requests with its erasure, and its object
 * (that version) is then deleted, so that the id does not stay in the bucket. A request that cannot be
 * carried out is recorded as rejected with its reason and left for the operator; it is not tried
 * again until its content changes. With no request the step reads nothing but the listing.
 */
export function createEraseRequestedHandler(deps: HandlerDependencies) {
  return async (input: { runId: string }): Promise<ErasedRequests> => {
    const runId = expectString(input, 'runId');
    const objects = await listRequests(deps);
    if (objects.length === 0) return { requests: 0, erased: 0, rejected: 0, left: 0, erasureIds: [] };
    const pool = await deps.pool();
    return runStep(
      pool,
      runId,
      stepNameOf('erase-requested'),
      () => eraseRequested(deps, pool, objects),
      (result) => result.erased,
    );
  };
}

async function listRequests(deps: HandlerDependencies): Promise<RequestObject[]> {
  const objects: RequestObject[] = [];
  let token: string | undefined;
  do {
    const page = await deps.s3().send(
      new ListObjectsV2Command({
        Bucket: deps.landing.bucket,
        Prefix: ERASURE_REQUEST_PREFIX,
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? [])
      if (object.Key && !object.Key.endsWith('/'))
        objects.push({
          key: object.Key,
          etag: (object.ETag ?? '').replace(/"/g, ''),
          sizeBytes: object.Size ?? 0,
        });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects.sort((a, b) => (a.key < b.key ? -1 : 1));
}

async function eraseRequested(
  deps: HandlerDependencies,
  pool: Pool,
  objects: RequestObject[],
): Promise<ErasedRequests> {
  const { rows } = await pool.query<{ object_key: string; etag: string; status: string }>(
    `select object_key, etag, status from ops.erasure_requests
     where (object_key, etag) in (select * from unnest($1::text[], $2::text[]))`,
    [objects.map((o) => o.key), objects.map((o) => o.etag)],
  );
  const handled = new Map(rows.map((row) => [`${row.object_key}\n${row.etag}`, row.status]));
  const fresh: RequestObject[] = [];
  for (const object of objects) {
    const status = handled.get(`${object.key}\n${object.etag}`);
    // Carried out, but the run stopped before its object was deleted.
    if (status === 'erased') await deleteRequest(deps, object.key, await versionOf(deps, object.key));
    else if (status === undefined) fresh.push(object);
  }

  const taken = fresh.slice(0, ERASURES_PER_RUN);
  const erasureIds: number[] = [];
  let rejected = 0;
  for (const object of taken) {
    // One too large to be a request is not read.
    const read = object.sizeBytes > REQUEST_MAX_BYTES ? undefined : await readRequest(deps, object.key);
    const request =
      read === undefined
        ? ({ ok: false, reason: TOO_LARGE } as const)
        : parseErasureRequest(read.body, object.key);
    const reject = async (reason: string) => {
      rejected++;
      await pool.query(
        `insert into ops.erasure_requests (object_key, etag, status, reason) values ($1, $2, 'rejected', $3)
         on conflict do nothing`,
        [object.key, object.etag, reason],
      );
    };
    if (!request.ok) {
      await reject(request.reason);
      continue;
    }
    try {
      const result = await forgetPerson(pool, {
        userId: request.userId,
        requestedBy: request.requestedBy,
        requestFile: { key: object.key, etag: object.etag },
      });
      erasureIds.push(result.erasureId);
    } catch (error) {
      // A dropped connection is retried with the step; anything else would fail every run the same
      // way, so the request is rejected and the run goes on. By code only: a message may quote the id.
      const failure = asStepError(error);
      if (failure instanceof TransientError) throw failure;
      const code = (error as { code?: string }).code;
      await reject(`the erasure failed (${code ? `SQLSTATE ${code}` : failure.name}): see the step's log`);
      logger.error('erasure request failed', { objectKey: object.key, error: failure.name, code });
      continue;
    }
    await deleteRequest(deps, object.key, read?.versionId);
  }
  if (rejected > 0) recordMetric('ErasureRequestsRejected', rejected);
  return {
    requests: fresh.length,
    erased: erasureIds.length,
    rejected,
    left: fresh.length - taken.length,
    erasureIds,
  };
}

async function readRequest(deps: HandlerDependencies, key: string) {
  const response = await deps.s3().send(new GetObjectCommand({ Bucket: deps.landing.bucket, Key: key }));
  return { body: (await response.Body?.transformToString('utf8')) ?? '', versionId: response.VersionId };
}

async function versionOf(deps: HandlerDependencies, key: string): Promise<string | undefined> {
  const head = await deps.s3().send(new HeadObjectCommand({ Bucket: deps.landing.bucket, Key: key }));
  return head.VersionId;
}

/**
 * Deletes the request's object. In the versioned landing bucket, the version read is deleted itself
 * (a delete marker alone would keep the id in a noncurrent version for 30 days).
 */
async function deleteRequest(deps: HandlerDependencies, key: string, versionId?: string): Promise<void> {
  await deps.s3().send(
    new DeleteObjectCommand({
      Bucket: deps.landing.bucket,
      Key: key,
      ...(versionId && versionId !== 'null' ? { VersionId: versionId } : {}),
    }),
  );
}

export const handler = lambdaHandler(createEraseRequestedHandler(awsDependencies()));
