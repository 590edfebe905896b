import { stepNameOf } from '../plan';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Pool } from '../warehouse/db';
import { isEventFileKey } from '../warehouse/source-format';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';
import { lambdaHandler, recordMetric } from './telemetry';

/** Only what the Map needs: the bucket is in every function's environment. */
export interface FileRef {
  readonly key: string;
  readonly etag: string;
}

export interface NewFiles {
  readonly items: FileRef[];
  /** New files in all; more than `items` when this round takes only part of a backlog. */
  readonly count: number;
  /** More files wait than one round takes. */
  readonly truncated: boolean;
  /** Size of the taken files, gzipped. */
  readonly bytes: number;
  /** New files this round leaves: `count` less `items`. */
  readonly left: number;
  /** After this round, list again: files are left, and the run has room for more. */
  readonly more: boolean;
}

/**
 * One round of a run (list, load, stage) takes at most this much: the list must stay well inside
 * Step Functions' 256 KB state (keys can be long), and staging one batch well inside a Lambda's 15
 * minutes (measured: about 5 MB of gzipped events a second). The state machine goes round again
 * while files are left, oldest keys first, until the run has taken `filesPerRun` files (about two
 * hours of loading at the default concurrency, the execution's limit); the next run takes the rest.
 */
export const RUN_LIMITS = { files: 1000, listBytes: 96 * 1024, gzippedBytes: 1024 ** 3, filesPerRun: 10_000 };

/** Lists the landing bucket and returns the objects whose key and ETag the ledger has neither loaded nor rejected. */
export function createListNewFilesHandler(deps: HandlerDependencies) {
  return async (input: { runId: string }): Promise<NewFiles> => {
    const runId = expectString(input, 'runId');
    const pool = await deps.pool();
    return runStep(
      pool,
      runId,
      stepNameOf('list-new-files'),
      () => listNewFiles(deps, pool, runId),
      (result) => result.items.length,
    );
  };
}

async function listNewFiles(deps: HandlerDependencies, pool: Pool, runId: string): Promise<NewFiles> {
  const { bucket, prefixes } = deps.landing;
  const objects: (FileRef & { sizeBytes: number; lastModified: number })[] = [];
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      const page = await deps
        .s3()
        .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (!object.Key || !isEventFileKey(object.Key)) continue;
        objects.push({
          key: object.Key,
          etag: (object.ETag ?? '').replace(/"/g, ''),
          sizeBytes: object.Size ?? 0,
          lastModified: object.LastModified?.getTime() ?? Date.now(),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  const loaded = await pool.query<{ object_key: string; etag: string; this_run: boolean }>(
    // A rejected file is not tried again; a new ETag under its key is a new file. A file this run
    // tried already (and failed to load) waits for the next run, not for the next round; the files
    // this run tried count against its bound.
    `select object_key, etag, last_run_id is not distinct from $2 as this_run from raw.files
     where bucket = $1 and (status in ('loaded', 'staged', 'rejected') or last_run_id = $2)`,
    [bucket, runId],
  );
  const taken = loaded.rows.filter((row) => row.this_run).length;
  const room = Math.max(0, RUN_LIMITS.filesPerRun - taken);
  const done = new Set(loaded.rows.map((row) => `${row.object_key}\n${row.etag}`));
  const fresh = objects
    .filter((object) => !done.has(`${object.key}\n${object.etag}`))
    .sort((a, b) => (a.key < b.key ? -1 : 1));

  // How long the oldest file has waited in landing: the alarm on a stuck pipeline watches it.
  const oldest = fresh.reduce((min, object) => Math.min(min, object.lastModified), Date.now());
  recordMetric('OldestWaitingFileAgeSeconds', Math.round((Date.now() - oldest) / 1000));

  const items: FileRef[] = [];
  let listBytes = 2;
  let bytes = 0;
  for (const object of fresh) {
    const item = { key: object.key, etag: object.etag };
    const itemBytes = JSON.stringify(item).length + 1;
    const full =
      items.length >= Math.min(RUN_LIMITS.files, room) || listBytes + itemBytes > RUN_LIMITS.listBytes;
    // The first file is always taken, however big, so that a huge file cannot stall the pipeline.
    if (full || (items.length > 0 && bytes + object.sizeBytes > RUN_LIMITS.gzippedBytes)) break;
    items.push(item);
    listBytes += itemBytes;
    bytes += object.sizeBytes;
  }
  const left = fresh.length - items.length;
  return {
    items,
    count: fresh.length,
    truncated: left > 0,
    bytes,
    left,
    more: left > 0 && items.length > 0 && items.length < room,
  };
}

export const handler = lambdaHandler(createListNewFilesHandler(awsDependencies()));
