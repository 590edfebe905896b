import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { from as copyFrom } from 'pg-copy-streams';
import type { Pool, PoolClient } from './db';
import { COPY_OPTIONS, type InvalidLine, NdjsonToCopyRows } from './ndjson-to-copy';

export interface IngestSource {
  readonly bucket: string;
  readonly key: string;
  /** Identifies the object's content: the same key with a new ETag is a new file. */
  readonly etag: string;
  readonly sizeBytes?: number;
  /** The object's bytes, gzipped or not (detected from the content). */
  readonly body: Readable;
}

export interface IngestResult {
  readonly fileId: number;
  readonly key: string;
  /** `skipped`: this key and ETag were loaded before, and nothing was added. */
  readonly status: 'loaded' | 'skipped';
  readonly lines: number;
  readonly rows: number;
  readonly invalidLines: number;
  readonly blankLines: number;
  readonly durationMs: number;
}

export class IngestError extends Error {
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`Loading ${key} failed, nothing of it was kept: ${(cause as Error).message ?? String(cause)}`, {
      cause,
    });
    this.name = 'IngestError';
  }
}

/**
 * Streams one NDJSON file into raw.events with COPY, exactly once. The ledger row, the events and
 * the invalid lines commit together: a file that fails halfway leaves no rows, only a ledger row marked
 * `failed` with the error, and loading it again retries it.
 */
export async function ingestFile(pool: Pool, source: IngestSource): Promise<IngestResult> {
  const started = Date.now();
  const client = await pool.connect();
  try {
    await client.query('begin');
    const claimed = await claimFile(client, source);
    if (claimed === null) {
      await client.query('rollback');
      source.body.destroy();
      const fileId = await existingFileId(client, source);
      return {
        fileId,
        key: source.key,
        status: 'skipped',
        lines: 0,
        rows: 0,
        invalidLines: 0,
        blankLines: 0,
        durationMs: Date.now() - started,
      };
    }
    const converter = new NdjsonToCopyRows(claimed);
    await copyRows(client, source.body, converter);
    await insertInvalidLines(client, claimed, converter.invalidLines);
    const { counts } = converter;
    await client.query(
      `update raw.files
          set status = 'loaded', line_count = $2, row_count = $3, invalid_line_count = $4,
              blank_line_count = $5, loaded_at = now(), error = null
        where file_id = $1`,
      [claimed, counts.lines, counts.rows, counts.invalid, counts.blank],
    );
    await client.query('commit');
    return {
      fileId: claimed,
      key: source.key,
      status: 'loaded',
      lines: counts.lines,
      rows: counts.rows,
      invalidLines: counts.invalid,
      blankLines: counts.blank,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    source.body.destroy();
    await recordFailure(pool, source, error).catch(() => undefined);
    throw new IngestError(source.key, error);
  } finally {
    client.release();
  }
}

/** Takes the file for this transaction; null when it was already loaded. A concurrent loader of the same file waits here for the first to finish. */
async function claimFile(client: PoolClient, source: IngestSource): Promise<number | null> {
  const result = await client.query<{ file_id: number }>(
    `insert into raw.files (bucket, object_key, etag, size_bytes, status)
     values ($1, $2, $3, $4, 'loading')
     on conflict (bucket, object_key, etag) do update
       set status = 'loading', attempts = raw.files.attempts + 1, started_at = now(), error = null
       where raw.files.status = 'failed'
     returning file_id`,
    [source.bucket, source.key, source.etag, source.sizeBytes ?? null],
  );
  return result.rows[0]?.file_id ?? null;
}

async function existingFileId(client: PoolClient, source: IngestSource): Promise<number> {
  const result = await client.query<{ file_id: number }>(
    'select file_id from raw.files where bucket = $1 and object_key = $2 and etag = $3',
    [source.bucket, source.key, source.etag],
  );
  const fileId = result.rows[0]?.file_id;
  if (fileId === undefined) throw new Error(`Ledger row for ${source.key} vanished`);
  return fileId;
}

async function copyRows(client: PoolClient, body: Readable, converter: NdjsonToCopyRows): Promise<void> {
  const first = await peekFirstChunk(body);
  const gzipped = first !== null && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  const copy = client.query(
    copyFrom(`copy raw.events (file_id, line_number, payload) from stdin ${COPY_OPTIONS}`),
  );
  if (gzipped) await pipeline(body, createGunzip(), converter, copy);
  else await pipeline(body, converter, copy);
}

async function insertInvalidLines(
  client: PoolClient,
  fileId: number,
  lines: readonly InvalidLine[],
): Promise<void> {
  const batchSize = 5000;
  for (let start = 0; start < lines.length; start += batchSize) {
    const batch = lines.slice(start, start + batchSize);
    await client.query(
      `insert into raw.invalid_lines (file_id, line_number, line, error)
       select $1, * from unnest($2::integer[], $3::text[], $4::text[])`,
      [
        fileId,
        batch.map((l) => l.lineNumber),
        batch.map((l) => l.line.replaceAll('\u0000', '\ufffd')),
        batch.map((l) => l.error),
      ],
    );
  }
}

async function recordFailure(pool: Pool, source: IngestSource, error: unknown): Promise<void> {
  await pool.query(
    `insert into raw.files (bucket, object_key, etag, size_bytes, status, error)
     values ($1, $2, $3, $4, 'failed', $5)
     on conflict (bucket, object_key, etag) do update
       set status = 'failed', error = excluded.error, attempts = raw.files.attempts + 1
       where raw.files.status in ('loading', 'failed')`,
    [
      source.bucket,
      source.key,
      source.etag,
      source.sizeBytes ?? null,
      String((error as Error).message ?? error),
    ],
  );
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
