import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { ingestFile, type IngestResult } from '../warehouse/ingest';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';

/** Streams one landing object into raw; a file already loaded (same key and ETag) is skipped. */
export function createLoadFileHandler(deps: HandlerDependencies) {
  return async (input: {
    runId: string;
    bucket: string;
    key: string;
    etag: string;
  }): Promise<IngestResult> => {
    const runId = expectString(input, 'runId');
    const bucket = expectString(input, 'bucket');
    const key = expectString(input, 'key');
    const pool = await deps.pool();
    return runStep(
      pool,
      runId,
      `load_file ${key}`,
      async () => {
        // If-Match pins the version that was listed: a file replaced since is a new file for the next run.
        const object = await deps.s3().send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            IfMatch: input.etag ? `"${input.etag}"` : undefined,
          }),
        );
        const etag = (object.ETag ?? input.etag).replace(/"/g, '');
        return ingestFile(pool, {
          bucket,
          key,
          etag,
          sizeBytes: object.ContentLength,
          body: object.Body as Readable,
        });
      },
      (result) => result.rows,
    );
  };
}

export const handler = createLoadFileHandler(awsDependencies());
