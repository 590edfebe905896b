import { randomUUID } from 'node:crypto';
import type { Pool } from './db';

export class RunInProgressError extends Error {
  constructor(readonly runningRunId: string) {
    super(`Run ${runningRunId} is still running; two runs never interleave. Wait for it to finish.`);
    this.name = 'RunInProgressError';
  }
}

export interface StartRunOptions {
  readonly runId?: string;
  readonly logicalDate?: string;
  readonly trigger?: string;
  /**
   * A run still "running" after this long died without recording it (its execution timed out or was
   * stopped): it is marked failed so that it no longer blocks every later run. Longer than the state
   * machine's own timeout.
   * @default 3 hours
   */
  readonly abandonedAfterMinutes?: number;
}

/** Records a new running run. At most one run is running (a unique index), so a second start fails clearly. */
export async function startRun(pool: Pool, options: StartRunOptions = {}): Promise<string> {
  const runId =
    options.runId ??
    `run-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  await pool.query(
    `update ops.runs set status = 'failed', finished_at = now(),
       error = 'abandoned: still running after ' || $1 || ' minutes (its execution timed out or was stopped)'
     where status = 'running' and started_at < now() - make_interval(mins => $1)`,
    [options.abandonedAfterMinutes ?? 180],
  );
  try {
    // A retried start (its first attempt committed but lost the reply) finds its own run: no conflict.
    await pool.query(
      `insert into ops.runs (run_id, logical_date, status, trigger) values ($1, $2, 'running', $3)
       on conflict (run_id) do nothing`,
      [runId, options.logicalDate ?? null, options.trigger ?? 'manual'],
    );
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    const running = await pool.query<{ run_id: string }>(
      `select run_id from ops.runs where status = 'running'`,
    );
    throw new RunInProgressError(running.rows[0]?.run_id ?? 'unknown');
  }
  return runId;
}

export async function finishRun(
  pool: Pool,
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
export async function clearPendingDates(pool: Pool, pending: PendingDates): Promise<number> {
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

export async function snapshotPendingDates(pool: Pool): Promise<PendingDates> {
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
  pool: Pool,
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
