import type { PoolClient } from './db';

/** Bulk statements sort and hash millions of rows; the server default (4 MB) would spill them to disk. One bulk statement runs at a time per step. */
export async function prepareBulkTransaction(client: PoolClient, lockName: string): Promise<void> {
  await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [`saas-pipeline:${lockName}`]);
  await client.query(`set local work_mem = '512MB'`);
}

/**
 * The next step queries what this one wrote within milliseconds, long before autovacuum analyzes it;
 * with statistics from an emptier table the planner picks nested loops over thousands of rows. So a
 * table that grew by a tenth or more is analyzed at once (a sample: about 0.1 s on millions of rows),
 * through ops.analyze_table: only a table's owner may analyze it, and the pipeline's roles own nothing.
 */
export async function analyzeIfMuchChanged(
  client: PoolClient,
  table: string,
  rowsWritten: number,
): Promise<void> {
  if (rowsWritten === 0) return;
  // Two concurrent ANALYZEs of one table fail ("tuple concurrently updated"): parallel shards take turns.
  await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [`saas-pipeline:analyze:${table}`]);
  const { rows } = await client.query<{ estimate: number }>(
    `select reltuples::float8 as estimate from pg_class where oid = $1::regclass`,
    [table],
  );
  const estimate = rows[0]?.estimate ?? -1;
  if (estimate < 0 || rowsWritten >= 0.1 * estimate)
    await client.query(`select ops.analyze_table($1::regclass)`, [table]);
}

/** Like Promise.all, but a failure is reported only once every task has stopped: nothing runs on behind the error. */
export async function allSettledOrThrow<T>(tasks: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

/**
 * SQLSTATE classes a row's values can cause: data exceptions (22), integrity violations (23) and
 * program limits such as an index entry too large (54). A retry never fixes them; leaving the row
 * out does.
 */
export function isRowDataError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

/**
 * Runs `work` in a savepoint that is always rolled back: the error a row's values made it raise, or
 * null when it passed. Any other error is thrown.
 */
export async function rowFailureOf(client: PoolClient, work: () => Promise<unknown>): Promise<Error | null> {
  await client.query('savepoint probe');
  try {
    await work();
    return null;
  } catch (error) {
    if (!isRowDataError(error)) throw error;
    return error as Error;
  } finally {
    await client.query('rollback to savepoint probe');
    await client.query('release savepoint probe');
  }
}

/**
 * Finds by halving every position in [low, high] that fails on its own, as `failure(low, high)`
 * reports for a part, and hands each to `found`. A part that passes is not looked into further.
 */
export async function halve(
  low: number,
  high: number,
  failure: (low: number, high: number) => Promise<Error | null>,
  found: (position: number, error: Error) => Promise<void>,
): Promise<void> {
  const error = await failure(low, high);
  if (error === null) return;
  if (low === high) return found(low, error);
  const middle = Math.floor((low + high) / 2);
  await halve(low, middle, failure, found);
  await halve(middle + 1, high, failure, found);
}

/**
 * How far a search for the rows that make a step fail may go before the failure counts as a fault
 * of the pipeline or the database rather than of a few bad rows: `rows` found, or more than `share`
 * of the rows looked at, and it fails blaming none; `probes` and `seconds` bound the search.
 */
export interface IsolationLimits {
  readonly rows: number;
  readonly probes: number;
  readonly share: number;
  readonly seconds: number;
}

/** Throws, quarantining nothing (the caller's transaction rolls back), when too many rows were blamed. */
export function assertFewBlamed(
  limits: IsolationLimits,
  blamed: number,
  total: number,
  unit: string,
  failure: unknown,
): void {
  if (blamed >= limits.rows || blamed > limits.share * total) {
    throw new Error(
      `${blamed} of ${total} ${unit} fail on their own, too many to be bad ${unit}; nothing was quarantined. The first failure: ${(failure as Error).message}`,
      { cause: failure },
    );
  }
}

/** The search ran past its time: each try reads its rows again, and the step must fail in time. */
export function isolationTookTooLong(limits: IsolationLimits, found: number): Error {
  return new Error(
    `Finding the rows that make this step fail took longer than ${limits.seconds} s (${found} found so far); nothing was quarantined. Many rows fail: find the cause in the database's error.`,
  );
}
