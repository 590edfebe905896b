import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, Queryable } from './db';

export class RunInProgressError extends Error {
  constructor(readonly runningRunId: string) {
    super(`Run ${runningRunId} is still running; two runs never interleave. Wait for it to finish.`);
    this.name = 'RunInProgressError';
  }
}

/** A run id names one run only: a re-used execution name cannot start a second run under it. */
export class RunIdInUseError extends Error {
  constructor(runId: string, status: string) {
    super(`Run id ${runId} belongs to a run that is ${status}; start the execution under a new name`);
    this.name = 'RunIdInUseError';
  }
}

/** The advisory lock (two int keys) held by the session that owns the running run; see ops.run_owner_alive. */
const RUN_SLOT_LOCK = [2026, 1201] as const;

export interface RunSlot {
  /** The backend pid of the session holding the slot: the run's owner. */
  readonly ownerPid: number;
  /** Ends the session, which frees the slot; killing the process frees it the same way. */
  release(): Promise<void>;
}

/**
 * Takes the run slot for this process: a session of its own holds an advisory lock for as long as the
 * run lives. When the process dies (even by kill -9) the server ends the session and frees the slot
 * within moments, and the next run marks the dead one abandoned. Fails at once if a live run holds it.
 */
export async function holdRunSlot(pool: Pool): Promise<RunSlot> {
  const client: PoolClient = await pool.connect();
  try {
    const { rows } = await client.query<{ taken: boolean; pid: number }>(
      'select pg_try_advisory_lock($1, $2) as taken, pg_backend_pid() as pid',
      [...RUN_SLOT_LOCK],
    );
    const row = rows[0];
    if (!row?.taken) {
      const running = await client.query<{ run_id: string }>(
        `select run_id from ops.runs where status = 'running' order by started_at desc limit 1`,
      );
      throw new RunInProgressError(running.rows[0]?.run_id ?? 'of another process');
    }
    // Any error on this idle session (a restart) must not crash the process; the run's own queries report it.
    client.on('error', () => undefined);
    let released = false;
    return {
      ownerPid: row.pid,
      async release() {
        if (released) return;
        released = true;
        // Unlocked at once (ending the connection frees it too, but only once the server notices);
        // the connection is then closed, never pooled, so that no lock can outlive the run.
        await client.query('select pg_advisory_unlock($1, $2)', [...RUN_SLOT_LOCK]).catch(() => undefined);
        client.release(true);
      },
    };
  } catch (error) {
    client.release(true);
    throw error;
  }
}

export interface StartRunOptions {
  readonly runId?: string;
  readonly logicalDate?: string;
  readonly trigger?: string;
  /** The session holding the run slot (holdRunSlot): the run is abandoned the moment it ends. */
  readonly ownerPid?: number;
  /** When the Step Functions execution started: a retried start of the same execution is recognised by it. */
  readonly executionStartedAt?: string;
  /**
   * A run still "running" after this long died without recording it (its execution timed out or was
   * stopped and the status rule did not close it): it is marked abandoned so that it no longer blocks
   * every later run. Longer than the state machine's own timeout.
   * @default 3 hours
   */
  readonly abandonedAfterMinutes?: number;
}

export function newRunId(): string {
  return `run-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
}

/**
 * Records a new running run. At most one run is running (a unique index), so a second start fails
 * clearly; runs whose owner is gone are marked abandoned first, so they never block it.
 */
export async function startRun(pool: Pool, options: StartRunOptions = {}): Promise<string> {
  const runId = options.runId ?? newRunId();
  if (options.ownerPid !== undefined) {
    const alive = await pool.query<{ alive: boolean }>('select ops.run_owner_alive($1) as alive', [
      options.ownerPid,
    ]);
    if (!alive.rows[0]?.alive)
      throw new Error(
        `Session ${options.ownerPid} does not hold the run slot; take it with holdRunSlot first`,
      );
  }
  await abandonDeadRuns(pool, options.abandonedAfterMinutes ?? 180);
  let inserted;
  try {
    inserted = await pool.query(
      `insert into ops.runs (run_id, logical_date, status, trigger, owner_pid, execution_started_at)
       values ($1, $2, 'running', $3, $4, $5)
       on conflict (run_id) do nothing`,
      [
        runId,
        options.logicalDate ?? null,
        options.trigger ?? 'manual',
        options.ownerPid ?? null,
        options.executionStartedAt ?? null,
      ],
    );
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    const running = await pool.query<{ run_id: string }>(
      `select run_id from ops.runs where status = 'running'`,
    );
    throw new RunInProgressError(running.rows[0]?.run_id ?? 'unknown');
  }
  if (inserted.rowCount === 0) await assertSameRun(pool, runId, options);
  return runId;
}

/**
 * A start retried after its first attempt committed (the reply was lost) finds its own run, still
 * running, from the same execution: that is fine. Anything else under this id is another run.
 */
async function assertSameRun(pool: Pool, runId: string, options: StartRunOptions): Promise<void> {
  const { rows } = await pool.query<{ status: string; same: boolean }>(
    `select status,
       status = 'running'
         and execution_started_at is not distinct from $2::timestamptz
         and owner_pid is not distinct from $3::integer as same
     from ops.runs where run_id = $1`,
    [runId, options.executionStartedAt ?? null, options.ownerPid ?? null],
  );
  const row = rows[0];
  if (row && !row.same) throw new RunIdInUseError(runId, row.status);
}

/** Runs whose owning session has ended, or that have run for longer than any execution may. */
async function abandonDeadRuns(db: Queryable, afterMinutes: number): Promise<void> {
  await db.query(
    `update ops.runs set status = 'abandoned', finished_at = now(),
       error = case
         when owner_pid is not null and not ops.run_owner_alive(owner_pid)
           then 'abandoned: the process that ran it is gone (its database session ended)'
         else 'abandoned: still running after ' || $1 || ' minutes (its execution timed out or was stopped)'
       end
     where status = 'running'
       and ((owner_pid is not null and not ops.run_owner_alive(owner_pid))
         or started_at < now() - make_interval(mins => $1))`,
    [afterMinutes],
  );
}

export async function finishRun(
  pool: Queryable,
  runId: string,
  outcome: { status: 'succeeded' | 'failed'; asOf?: string | null; error?: string },
): Promise<void> {
  // Only a running run changes: a late second report of the same failure (the execution's status
  // rule after Record failure) leaves the first one in place.
  await pool.query(
    `update ops.runs set status = $2, as_of_date = coalesce($3::date, as_of_date), error = $4, finished_at = now()
     where run_id = $1 and status = 'running'`,
    [runId, outcome.status, outcome.asOf ?? null, outcome.error ?? null],
  );
}

/**
 * A run that passed the quality gate is done with the dates it rebuilt, unless one was marked again
 * after the run read them (then its newer events still wait for the next run).
 */
export async function clearPendingDates(pool: Queryable, pending: PendingDates): Promise<number> {
  const result = await pool.query(
    'delete from ops.pending_dates where event_date = any($1::date[]) and marked_at <= $2',
    [pending.dates, pending.readAt],
  );
  return result.rowCount ?? 0;
}

export interface PendingDates {
  readonly dates: string[];
  readonly readAt: Date;
}

export async function snapshotPendingDates(pool: Queryable): Promise<PendingDates> {
  const { rows } = await pool.query<{ dates: string[] | null; read_at: Date }>(
    'select array_agg(event_date::text order by event_date) as dates, clock_timestamp() as read_at from ops.pending_dates',
  );
  return { dates: rows[0]?.dates ?? [], readAt: rows[0]?.read_at ?? new Date(0) };
}

export interface StepRecord {
  readonly rowCount?: number;
  readonly details?: unknown;
}

/** Runs one step and records its outcome, rows and duration under the run, whether it succeeds or fails. */
export async function recordStep<T extends StepRecord>(
  pool: Queryable,
  runId: string,
  stepName: string,
  work: () => Promise<T>,
): Promise<T> {
  const startedAt = new Date();
  const save = (status: 'succeeded' | 'failed', record: StepRecord, error?: string): Promise<unknown> =>
    pool.query(
      `insert into ops.run_steps (run_id, step_name, status, row_count, details, started_at, finished_at, duration_ms, error)
       values ($1, $2, $3, $4, $5, $6, now(), $7, $8)
       on conflict (run_id, step_name) do update set status = excluded.status, row_count = excluded.row_count,
         details = excluded.details, started_at = excluded.started_at, finished_at = excluded.finished_at,
         duration_ms = excluded.duration_ms, error = excluded.error`,
      [
        runId,
        stepName,
        status,
        record.rowCount ?? null,
        JSON.stringify(record.details ?? null),
        startedAt,
        Date.now() - startedAt.getTime(),
        error ?? null,
      ],
    );
  try {
    const result = await work();
    await save('succeeded', result);
    return result;
  } catch (error) {
    await save('failed', {}, (error as Error).message).catch(() => undefined);
    throw error;
  }
}

export interface RunFiles {
  /** Files this run loaded, rejected, or failed to load (they are tried again next run). */
  readonly loaded: number;
  readonly rejected: number;
  readonly failed: number;
  /** The files this run rejected, with why. */
  readonly rejectedFiles: { key: string; reason: string; detail: string | null }[];
}

/** What happened to the files a run tried: for its summary, the CLI and the alarms. */
export async function summarizeRunFiles(db: Queryable, runId: string): Promise<RunFiles> {
  const { rows } = await db.query<{ status: string; n: number }>(
    `select status, count(*)::integer as n from raw.files where last_run_id = $1 group by status`,
    [runId],
  );
  const count = (status: string[]) =>
    rows.filter((row) => status.includes(row.status)).reduce((total, row) => total + row.n, 0);
  const rejected = await db.query<{ key: string; reason: string; detail: string | null }>(
    `select object_key as key, reject_reason as reason, left(error, 300) as detail
     from raw.files where last_run_id = $1 and status = 'rejected' order by object_key limit 20`,
    [runId],
  );
  return {
    loaded: count(['loaded', 'staged']),
    rejected: count(['rejected']),
    failed: count(['failed']),
    rejectedFiles: rejected.rows,
  };
}
