import { createHash } from 'node:crypto';
import type { Pool, PoolClient, Queryable } from './db';
import { withTransaction } from './db';
import { runSqlFile } from './sql-files';

export interface ErasureRequest {
  /** The person's userId, as the events name it. */
  readonly userId: string;
  /** Who or what asked: recorded in ops.erasures. */
  readonly requestedBy: string;
  /** The request file it came from (lambdas/warehouse/erasure-requests.ts), recorded as carried out in the same transaction. */
  readonly requestFile?: { readonly key: string; readonly etag: string };
}

export interface ErasureResult {
  readonly erasureId: number;
  /** The salted hash of the userId: what the audit holds instead of it. */
  readonly idHash: string;
  /** The ids erased: the userId and the anonymous ids linked to it. */
  readonly ids: number;
  /** Rows removed, per table. */
  readonly rowsRemoved: Readonly<Record<string, number>>;
  /** Dates whose facts the next run rebuilds without the person. */
  readonly datesRebuilt: number;
}

/**
 * Removes every row of a person from raw, staging, core and the published analytics, in one
 * transaction under the staging lock (sql/steps/erasure/forget_person.sql says what goes), records
 * the request in ops.erasures, and leaves a tombstone per id in ops.erased_ids, which loading checks.
 * The dates the person had events on are marked pending: the next run rebuilds their facts and
 * publishes the figures as if the person had never been seen. Runs as saas_eraser, the one role that
 * deletes from raw (sql/migrations/0030_erasure_requests.sql), whoever connected. Erasing an id again
 * finds nothing more, and records the request again.
 */
export async function forgetPerson(pool: Pool, request: ErasureRequest): Promise<ErasureResult> {
  if (request.userId.trim() === '') throw new RangeError('forget needs the id of a person');
  return withTransaction(pool, async (client) => {
    await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:staging'))`);
    await client.query(`set local work_mem = '256MB'`);
    await client.query('set local role saas_eraser');
    const results = await runSqlFile(client, 'steps/erasure/forget_person.sql', {
      user_id: request.userId,
      requested_by: request.requestedBy,
    });
    const audit = results.at(-1)?.rows[0] as
      | {
          erasure_id: number;
          id_hash: string;
          ids: number;
          rows_removed: Record<string, number>;
          dates: number;
        }
      | undefined;
    if (audit === undefined) throw new Error('forget_person.sql recorded no erasure');
    const { rows: files } = await client.query<{ file_id: number }>('select file_id from forget_files');
    await runSqlFile(client, 'steps/staging/recount_files.sql', {
      file_ids: files.map((row) => row.file_id),
    });
    if (request.requestFile)
      await client.query(
        `insert into ops.erasure_requests (object_key, etag, status, erasure_id) values ($1, $2, 'erased', $3)`,
        [request.requestFile.key, request.requestFile.etag, audit.erasure_id],
      );
    return {
      erasureId: Number(audit.erasure_id),
      idHash: audit.id_hash,
      ids: audit.ids,
      rowsRemoved: audit.rows_removed,
      datesRebuilt: audit.dates,
    };
  });
}

/** The tombstones loading checks lines against: the warehouse's salt and the erased ids' hashes. */
export interface Tombstones {
  readonly salt: string;
  readonly hashes: ReadonlySet<string>;
}

/** The tombstones, or null when no one was erased (then loading checks nothing). */
export async function readTombstones(db: Queryable | PoolClient): Promise<Tombstones | null> {
  const { rows } = await db.query<{ id_hash: string; salt: string }>(
    `select e.id_hash, s.salt from ops.erased_ids as e cross join ops.erasure_salt as s`,
  );
  if (rows.length === 0) return null;
  return { salt: rows[0]?.salt ?? '', hashes: new Set(rows.map((row) => row.id_hash)) };
}

/** The salted hash of an id, as sql/steps/erasure/forget_person.sql computes it. */
export function idHash(salt: string, id: string): string {
  return createHash('sha256').update(`${salt}:${id}`, 'utf8').digest('hex');
}

/** The ids a line names a person by, in either format: user_id, userId, anonymousId, previousId. */
const PERSON_FIELDS = ['user_id', 'userId', 'anonymousId', 'previousId'] as const;

/** A quoted string of a line that is not JSON, short enough to be an id. */
const QUOTED = /"((?:[^"\\]|\\.){1,256})"/g;

/**
 * Whether a line names an erased person: a JSON line by its person fields; a line that is not JSON
 * (it would be kept as text) by any quoted string in it, which is how the erasure found its lines.
 */
export function namesErasedPerson(line: string, tombstones: Tombstones): boolean {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    for (const [, quoted] of line.matchAll(QUOTED))
      if (quoted !== undefined && tombstones.hashes.has(idHash(tombstones.salt, quoted))) return true;
    return false;
  }
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  return PERSON_FIELDS.some((field) => {
    const id = fields[field];
    return (
      (typeof id === 'string' || typeof id === 'number') &&
      tombstones.hashes.has(idHash(tombstones.salt, String(id)))
    );
  });
}
