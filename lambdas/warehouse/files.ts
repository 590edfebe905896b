import type { Queryable } from './db';

export interface LedgerFile {
  readonly fileId: number;
  readonly key: string;
  readonly etag: string;
  readonly status: string;
  readonly rejectReason: string | null;
  readonly detail: string | null;
  readonly attempts: number;
  readonly failedRuns: number;
  readonly changedAt: Date;
}

/** Files in the ledger, newest change first: all, or those of one status. */
export async function listLedgerFiles(
  db: Queryable,
  options: { status?: string; limit?: number } = {},
): Promise<LedgerFile[]> {
  const { rows } = await db.query<{
    file_id: number;
    object_key: string;
    etag: string;
    status: string;
    reject_reason: string | null;
    error: string | null;
    attempts: number;
    failed_runs: number;
    changed_at: Date;
  }>(
    `select file_id, object_key, etag, status, reject_reason, error, attempts, failed_runs,
       coalesce(rejected_at, staged_at, loaded_at, started_at) as changed_at
     from raw.files
     where $1::text is null or status = $1
     order by changed_at desc, file_id desc
     limit $2`,
    [options.status ?? null, options.limit ?? 50],
  );
  return rows.map((row) => ({
    fileId: row.file_id,
    key: row.object_key,
    etag: row.etag,
    status: row.status,
    rejectReason: row.reject_reason,
    detail: row.error,
    attempts: row.attempts,
    failedRuns: row.failed_runs,
    changedAt: row.changed_at,
  }));
}

/**
 * Lets the next run try rejected files again: every version of a key (or the one ETag given), or
 * every file rejected for one reason (after an outage that failed good files in three runs, say).
 * For when the cause was on our side: a limit raised, a bug fixed. The ledger keeps its history in
 * `error`. Returns the files released.
 */
export async function releaseRejectedFiles(
  db: Queryable,
  which: { key?: string; etag?: string; reason?: string },
  options: { by?: string } = {},
): Promise<{ key: string; etag: string }[]> {
  if (which.key === undefined && which.reason === undefined)
    throw new Error('Name the files to release: a key, or a reject reason');
  const { rows } = await db.query<{ object_key: string; etag: string }>(
    `update raw.files
        set status = 'failed', failed_runs = 0,
            error = 'released by ' || $4 || ' at ' || now()::text || ' after ' || reject_reason || ': ' || coalesce(error, ''),
            reject_reason = null, rejected_at = null
      where status = 'rejected'
        and ($1::text is null or object_key = $1)
        and ($2::text is null or etag = $2)
        and ($3::text is null or reject_reason = $3)
      returning object_key, etag`,
    [which.key ?? null, which.etag ?? null, which.reason ?? null, options.by ?? 'a user'],
  );
  return rows.map((row) => ({ key: row.object_key, etag: row.etag }));
}
