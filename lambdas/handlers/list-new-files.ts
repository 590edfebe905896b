import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';

export interface FileRef {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly sizeBytes: number;
}

export interface NewFiles {
  readonly items: FileRef[];
  readonly count: number;
  /** More files wait than one run takes; the next run continues. */
  readonly truncated: boolean;
}

/** Keeps the Map's input well under the 256 KB state limit; a backlog is worked off run by run. */
export const MAX_FILES_PER_RUN = 1000;

/** Lists the landing bucket and returns the objects whose key and ETag the ledger has not loaded. */
export function createListNewFilesHandler(deps: HandlerDependencies) {
  return async (input: { runId: string }): Promise<NewFiles> => {
    const runId = expectString(input, 'runId');
    const pool = await deps.pool();
    return runStep(
      pool,
      runId,
      'list_new_files',
      async () => {
        const { bucket, prefix } = deps.landing;
        const objects: FileRef[] = [];
        let token: string | undefined;
        do {
          const page = await deps
            .s3()
            .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
          for (const object of page.Contents ?? []) {
            if (!object.Key || !/\.ndjson(\.gz)?$/.test(object.Key)) continue;
            objects.push({
              bucket,
              key: object.Key,
              etag: (object.ETag ?? '').replace(/"/g, ''),
              sizeBytes: object.Size ?? 0,
            });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        const loaded = await pool.query<{ object_key: string; etag: string }>(
          `select object_key, etag from raw.files where bucket = $1 and status in ('loaded', 'staged')`,
          [bucket],
        );
        const done = new Set(loaded.rows.map((row) => `${row.object_key}\n${row.etag}`));
        const fresh = objects
          .filter((object) => !done.has(`${object.key}\n${object.etag}`))
          .sort((a, b) => (a.key < b.key ? -1 : 1));
        return {
          items: fresh.slice(0, MAX_FILES_PER_RUN),
          count: fresh.length,
          truncated: fresh.length > MAX_FILES_PER_RUN,
        };
      },
      (result) => result.items.length,
    );
  };
}

export const handler = createListNewFilesHandler(awsDependencies());
