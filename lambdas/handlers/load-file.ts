import { stepNameOf } from '../plan';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { countLoadAttempt, recordLoadFailure } from '../warehouse/file-ledger';
import { ingestFile } from '../warehouse/ingest';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';
import { lambdaHandler, recordMetric } from './telemetry';

export interface LoadFileResult {
  readonly key: string;
  /**
   * `skipped`: loaded or rejected before; `rejected`: it can never load, and the ledger says why;
   * `changed` or `missing`: replaced or deleted since it was listed.
   */
  readonly status: 'loaded' | 'skipped' | 'rejected' | 'changed' | 'missing';
  readonly rows: number;
  readonly rejectReason?: string;
}

/**
 * Streams one landing object into raw; a file already loaded (same key and ETag) is skipped. A file
 * replaced since it was listed is left for the next run, which lists its new version; a deleted one
 * is skipped; one that can never load is rejected. None of these fails the run. A failure a retry
 * may fix is counted in the ledger and thrown, for the state machine to retry.
 */
export function createLoadFileHandler(deps: HandlerDependencies) {
  return async (input: { runId: string; key: string; etag: string }): Promise<LoadFileResult> => {
    const runId = expectString(input, 'runId');
    const key = expectString(input, 'key');
    const { bucket } = deps.landing;
    const pool = await deps.pool();
    return runStep(
      pool,
      runId,
      `${stepNameOf('load-file')} ${key}`,
      async (): Promise<LoadFileResult> => {
        // Counted before anything can fail or hang: a load that dies with its function counts too.
        const file = { bucket, key, etag: input.etag };
        const attempt = await countLoadAttempt(pool, file, runId);
        if (attempt.rejected) {
          recordMetric('FilesRejected', 1);
          return { key, status: 'rejected', rows: 0, rejectReason: 'too_many_failures' };
        }
        if (!attempt.proceed) return { key, status: 'skipped', rows: 0 };
        let object;
        try {
          // If-Match pins the version that was listed.
          object = await deps.s3().send(
            new GetObjectCommand({
              Bucket: bucket,
              Key: key,
              IfMatch: input.etag ? `"${input.etag}"` : undefined,
            }),
          );
        } catch (error) {
          const name = (error as Error).name;
          if (name === 'PreconditionFailed') return { key, status: 'changed', rows: 0 };
          if (name === 'NoSuchKey') return { key, status: 'missing', rows: 0 };
          // Its attempt is counted: a file S3 never serves is rejected after a few runs.
          await recordLoadFailure(pool, file, error);
          throw error;
        }
        const etag = (object.ETag ?? input.etag).replace(/"/g, '');
        const result = await ingestFile(
          pool,
          { bucket, key, etag, sizeBytes: object.ContentLength, body: object.Body as Readable },
          { runId, attemptCounted: true },
        );
        // The alarm on rejected files counts these, whatever happens to the run.
        if (result.status === 'rejected') recordMetric('FilesRejected', 1);
        return { key, status: result.status, rows: result.rows, rejectReason: result.rejectReason };
      },
      (result) => result.rows,
    );
  };
}

export const handler = lambdaHandler(createLoadFileHandler(awsDependencies()));
