import type { Pool, Queryable } from './db';
import type { FileRejection } from './inflation-guard';
import { MAX_FAILED_LOAD_RUNS } from './limits';
import { formatOfKey } from './source-format';

/** A landing file as the ledger knows it: bucket, key and ETag name one version of it. */
export interface LedgerKey {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly sizeBytes?: number;
}

export async function existingFileId(db: Queryable, file: LedgerKey): Promise<number> {
  const result = await db.query<{ file_id: number }>(
    'select file_id from raw.files where bucket = $1 and object_key = $2 and etag = $3',
    [file.bucket, file.key, file.etag],
  );
  const fileId = result.rows[0]?.file_id;
  if (fileId === undefined) throw new Error(`Ledger row for ${file.key} vanished`);
  return fileId;
}

export interface AttemptOutcome {
  /** Loading may go on; false when the file is loaded, staged or rejected already, or now rejected. */
  readonly proceed: boolean;
  /** Set when this attempt found the file had failed in MAX_FAILED_LOAD_RUNS runs and rejected it. */
  readonly rejected?: { readonly fileId: number; readonly detail: string };
}

/**
 * Counts an attempt to load the file before it begins, in a statement of its own that commits at
 * once: an attempt that dies with its process (a Lambda timeout, kill -9) is counted too. Attempts
 * within one run count as one failed run until the file loads; a file that has failed in
 * MAX_FAILED_LOAD_RUNS runs is rejected at its next attempt, so that nothing is retried for ever.
 */
export async function countLoadAttempt(pool: Pool, file: LedgerKey, runId?: string): Promise<AttemptOutcome> {
  const { rows } = await pool.query<{
    file_id: number;
    status: string;
    failed_runs: number;
    last_run_id: string | null;
    error: string | null;
  }>(
    'select file_id, status, failed_runs, last_run_id, error from raw.files where bucket = $1 and object_key = $2 and etag = $3',
    [file.bucket, file.key, file.etag],
  );
  const row = rows[0];
  if (row && row.status !== 'failed') return { proceed: false };
  const newRun = runId === undefined || row?.last_run_id !== runId;
  if (row && newRun && row.failed_runs >= MAX_FAILED_LOAD_RUNS) {
    const detail = `failed in ${row.failed_runs} runs; the last error: ${row.error ?? 'none recorded'}`.slice(
      0,
      2000,
    );
    const rejected = await pool.query(
      `update raw.files set status = 'rejected', reject_reason = 'too_many_failures', error = $2, rejected_at = now()
       where file_id = $1 and status = 'failed'`,
      [row.file_id, detail],
    );
    return rejected.rowCount
      ? { proceed: false, rejected: { fileId: row.file_id, detail } }
      : { proceed: false };
  }
  await pool.query(
    `insert into raw.files as f (bucket, object_key, etag, size_bytes, status, failed_runs, attempts, last_run_id, error, format)
     values ($1, $2, $3, $4, 'failed', 1, 1, $5, 'a load began and has not finished (if it stays so, the load died)', $7)
     on conflict (bucket, object_key, etag) do update
       set attempts = f.attempts + 1, last_run_id = excluded.last_run_id,
           failed_runs = f.failed_runs + case when $6::boolean then 1 else 0 end
       where f.status = 'failed'`,
    [file.bucket, file.key, file.etag, file.sizeBytes ?? null, runId ?? null, newRun, formatOfKey(file.key)],
  );
  return { proceed: true };
}

/** Records why an attempt failed for a reason a retry may fix; countLoadAttempt counted it already. */
export async function recordLoadFailure(pool: Pool, file: LedgerKey, error: unknown): Promise<void> {
  await pool.query(
    `update raw.files set status = 'failed', error = $4
     where bucket = $1 and object_key = $2 and etag = $3 and status in ('loading', 'failed')`,
    [file.bucket, file.key, file.etag, String((error as Error).message ?? error).slice(0, 2000)],
  );
}

/** Marks the file rejected, with its reason; a file loaded meanwhile by another loader stays loaded. */
export async function recordRejection(
  pool: Pool,
  file: LedgerKey,
  rejection: FileRejection,
  runId?: string,
): Promise<number> {
  const { rows } = await pool.query<{ file_id: number }>(
    `insert into raw.files as f (bucket, object_key, etag, size_bytes, status, reject_reason, error, rejected_at, last_run_id, format)
     values ($1, $2, $3, $4, 'rejected', $5, $6, now(), $7, $8)
     on conflict (bucket, object_key, etag) do update
       set status = 'rejected', reject_reason = excluded.reject_reason, error = excluded.error,
           rejected_at = now(), last_run_id = excluded.last_run_id
       where f.status in ('loading', 'failed')
     returning file_id`,
    [
      file.bucket,
      file.key,
      file.etag,
      file.sizeBytes ?? null,
      rejection.reason,
      rejection.detail.slice(0, 2000),
      runId ?? null,
      formatOfKey(file.key),
    ],
  );
  return rows[0]?.file_id ?? (await existingFileId(pool, file));
}
