import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { from as copyFrom } from 'pg-copy-streams';
import type { Pool, PoolClient } from './db';
import { asRejection, ByteCounter, InflationGuard } from './inflation-guard';
import { countLoadAttempt, existingFileId, recordLoadFailure, recordRejection } from './file-ledger';
import { FILE_LIMITS, type FileLimits } from './limits';
import { COPY_COLUMNS, COPY_OPTIONS, NdjsonToCopyRows } from './ndjson-to-copy';
import { readTombstones } from './erasure';
import { formatOfKey } from './source-format';
import { UserAgentCollector } from './user-agents';

export interface IngestSource {
  readonly bucket: string;
  readonly key: string;
  /** Identifies the object's content: the same key with a new ETag is a new file. */
  readonly etag: string;
  readonly sizeBytes?: number;
  /** The object's bytes, gzipped or not (detected from the content). */
  readonly body: Readable;
}

export interface IngestOptions {
  /** The run loading the file: transient failures count once per run towards rejection. */
  readonly runId?: string;
  /** @default FILE_LIMITS */
  readonly limits?: FileLimits;
  /** The caller counted this attempt already (countLoadAttempt), before it fetched the object. */
  readonly attemptCounted?: boolean;
}

export interface IngestResult {
  readonly fileId: number;
  readonly key: string;
  /**
   * `skipped`: this key and ETag were loaded (or rejected) before, and nothing was added;
   * `rejected`: it can never load (see `rejectReason`) and will not be tried again unless released.
   */
  readonly status: 'loaded' | 'skipped' | 'rejected';
  readonly lines: number;
  readonly rows: number;
  readonly invalidLines: number;
  readonly blankLines: number;
  readonly durationMs: number;
  readonly rejectReason?: string;
  readonly detail?: string;
}

/** A failure that a retry may fix (the connection, S3); the ledger counts it against the file. */
export class IngestError extends Error {
  /** The cause's SQLSTATE, so that a lost connection is still told apart as one to retry. */
  readonly code?: string;
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`Loading ${key} failed, nothing of it was kept: ${(cause as Error).message ?? String(cause)}`, {
      cause,
    });
    this.name = 'IngestError';
    this.code = (cause as { code?: string }).code;
  }
}

/**
 * Streams one NDJSON file into raw.events with COPY, exactly once. The ledger row and every line
 * commit together, so a file that fails halfway leaves no rows. A failure that no retry can fix
 * (damaged gzip, not text, over the limits) rejects the file: the ledger says why, and it is not
 * tried again until its content changes or a user releases it. Any other failure is recorded and
 * thrown; every attempt is counted before it begins (countLoadAttempt), and a file that has failed
 * in MAX_FAILED_LOAD_RUNS runs is rejected at its next.
 */
export async function ingestFile(
  pool: Pool,
  source: IngestSource,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const started = Date.now();
  const result = (fileId: number, status: IngestResult['status'], extra: Partial<IngestResult> = {}) => ({
    fileId,
    key: source.key,
    status,
    lines: 0,
    rows: 0,
    invalidLines: 0,
    blankLines: 0,
    durationMs: Date.now() - started,
    ...extra,
  });
  if (!options.attemptCounted) {
    const attempt = await countLoadAttempt(pool, source, options.runId);
    if (attempt.rejected) {
      source.body.destroy();
      return result(attempt.rejected.fileId, 'rejected', {
        rejectReason: 'too_many_failures',
        detail: attempt.rejected.detail,
      });
    }
  }
  const client = await pool.connect();
  try {
    await client.query('begin');
    const claimed = await claimFile(client, source, options.runId);
    if (claimed === null) {
      await client.query('rollback');
      source.body.destroy();
      return result(await existingFileId(client, source), 'skipped');
    }
    const limits = options.limits ?? FILE_LIMITS;
    const userAgents = new UserAgentCollector();
    const converter = new NdjsonToCopyRows(claimed, limits.maxLines, {
      tombstones: await readTombstones(client),
      userAgents,
    });
    let inflated: InflationGuard;
    try {
      inflated = await copyRows(client, source.body, converter, limits);
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      source.body.destroy();
      const rejection = asRejection(error);
      if (rejection === null) throw error;
      const fileId = await recordRejection(pool, source, rejection, options.runId);
      return result(fileId, 'rejected', { rejectReason: rejection.reason, detail: rejection.detail });
    }
    const { counts } = converter;
    await userAgents.save(client);
    await client.query(
      `update raw.files
          set status = 'loaded', line_count = $2, row_count = $3, invalid_line_count = $4,
              blank_line_count = $5, inflated_bytes = $6, forgotten_lines = $7, loaded_at = now(), error = null
        where file_id = $1`,
      [claimed, counts.lines, counts.rows, counts.invalid, counts.blank, inflated.bytes, counts.forgotten],
    );
    await client.query('commit');
    return result(claimed, 'loaded', {
      lines: counts.lines,
      rows: counts.rows,
      invalidLines: counts.invalid,
      blankLines: counts.blank,
    });
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    source.body.destroy();
    await recordLoadFailure(pool, source, error).catch(() => undefined);
    throw new IngestError(source.key, error);
  } finally {
    client.release();
  }
}

/** Takes the file for this transaction; null when it was loaded or rejected already. A concurrent loader of the same file waits here for the first to finish. */
async function claimFile(client: PoolClient, source: IngestSource, runId?: string): Promise<number | null> {
  const result = await client.query<{ file_id: number }>(
    `insert into raw.files as f (bucket, object_key, etag, size_bytes, status, last_run_id, format)
     values ($1, $2, $3, $4, 'loading', $5, $6)
     on conflict (bucket, object_key, etag) do update
       set status = 'loading', started_at = now(), error = null,
           last_run_id = excluded.last_run_id
       where f.status = 'failed'
     returning file_id`,
    [
      source.bucket,
      source.key,
      source.etag,
      source.sizeBytes ?? null,
      runId ?? null,
      formatOfKey(source.key),
    ],
  );
  return result.rows[0]?.file_id ?? null;
}

async function copyRows(
  client: PoolClient,
  body: Readable,
  converter: NdjsonToCopyRows,
  limits: FileLimits,
): Promise<InflationGuard> {
  const first = await peekFirstChunk(body);
  const gzipped = first !== null && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  const copy = client.query(copyFrom(`copy raw.events ${COPY_COLUMNS} from stdin ${COPY_OPTIONS}`));
  if (gzipped) {
    const compressed = new ByteCounter();
    const guard = new InflationGuard(limits, () => compressed.bytes);
    await pipeline(body, compressed, createGunzip(), guard, converter, copy);
    return guard;
  }
  const guard = new InflationGuard(limits, null);
  await pipeline(body, guard, converter, copy);
  return guard;
}

/** Resolves with the stream's first chunk, put back so that reading starts from it again; null for an empty stream. */
function peekFirstChunk(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const done = (chunk: Buffer | null, error?: Error): void => {
      stream.off('readable', onReadable).off('end', onEnd).off('error', onError);
      if (error) return reject(error);
      if (chunk !== null) stream.unshift(chunk);
      resolve(chunk);
    };
    const onReadable = (): void => done(stream.read() as Buffer | null);
    const onEnd = (): void => done(null);
    const onError = (error: Error): void => done(null, error);
    stream.on('readable', onReadable).on('end', onEnd).on('error', onError);
  });
}
