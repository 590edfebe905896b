import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { ingestFile } from '../warehouse/ingest';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';

export interface LoadFileResult {
  readonly key: string;
  /** `skipped`: loaded before; `changed` or `missing`: replaced or deleted since it was listed. */
  readonly status: 'loaded' | 'skipped' | 'changed' | 'missing';
  readonly rows: number;
}

/**
 * Streams one landing object into raw; a file already loaded (same key and ETag) is skipped. A file
 * replaced since it was listed is left for the next run, which lists its new version; a deleted one
 * is skipped. Neither fails the run.
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
      `load_file ${key}`,
      async (): Promise<LoadFileResult> => {
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
          throw error;
        }
        const etag = (object.ETag ?? input.etag).replace(/"/g, '');
        const result = await ingestFile(pool, {
          bucket,
          key,
          etag,
          sizeBytes: object.ContentLength,
          body: object.Body as Readable,
        });
        return { key, status: result.status, rows: result.rows };
      },
      (result) => result.rows,
    );
  };
}

export const handler = createLoadFileHandler(awsDependencies());
