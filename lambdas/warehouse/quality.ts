import { readdirSync } from 'node:fs';
import path from 'node:path';
import { type Pool, type Queryable, withTransaction } from './db';
import { bindNamed, readSql, sqlDir } from './sql-files';

export type Severity = 'error' | 'warn';

export interface QualityCheck {
  readonly name: string;
  readonly severity: Severity;
  readonly description: string;
  readonly sql: string;
}

export interface QualityResult {
  readonly name: string;
  readonly severity: Severity;
  readonly passed: boolean;
  readonly failingRows: number;
  readonly sample: unknown[];
}

/** Each `sql/quality/*.sql` is a query that returns the rows breaking a rule, headed by its severity and description. */
export function listQualityChecks(): QualityCheck[] {
  return readdirSync(path.join(sqlDir(), 'quality'))
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const sql = readSql(`quality/${file}`);
      const severity = /^-- severity: (error|warn)$/m.exec(sql)?.[1];
      const description = /^-- description: (.+)$/m.exec(sql)?.[1];
      if (severity === undefined || description === undefined) {
        throw new Error(
          `quality/${file} needs "-- severity: error|warn" and "-- description: ..." header lines`,
        );
      }
      return { name: file.slice(0, -4), severity: severity as Severity, description, sql };
    });
}

/**
 * Checks named analytics_* read the analytics views and run after they are refreshed; the others run
 * before, so that a run whose core layer fails a check never publishes new analytics.
 */
export type QualityPhase = 'core' | 'analytics';

export function checkPhase(check: QualityCheck): QualityPhase {
  return check.name.startsWith('analytics_') ? 'analytics' : 'core';
}

export interface QualityScope {
  readonly runId: string;
  /** The dates this run rebuilt. */
  readonly dates: readonly string[];
  /** The files this run staged. */
  readonly fileIds: readonly number[];
}

export class QualityGateError extends Error {
  constructor(readonly failed: QualityResult[]) {
    super(`Data-quality gate failed: ${failed.map((r) => `${r.name} (${r.failingRows} rows)`).join(', ')}`);
    this.name = 'QualityGateError';
  }
}

/** Runs every check, stores each result under the run, and returns them; never throws for a failed check. */
export async function runQualityChecks(
  pool: Pool,
  scope: QualityScope,
  phase?: QualityPhase,
  concurrency = 2,
): Promise<QualityResult[]> {
  const checks = listQualityChecks().filter((check) => phase === undefined || checkPhase(check) === phase);
  const results: QualityResult[] = new Array(checks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < checks.length) {
      const index = next++;
      results[index] = await runQualityCheck(pool, checks[index] as QualityCheck, scope);
    }
  };
  // Checks only read, so they can share the server's cores.
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

async function runQualityCheck(pool: Pool, check: QualityCheck, scope: QualityScope): Promise<QualityResult> {
  const query = bindNamed(
    `with failing as (${check.sql})
       select (select count(*)::integer from failing) as failing_rows,
              (select coalesce(jsonb_agg(sample), '[]') from (select * from failing limit 5) as sample) as sample`,
    { dates: scope.dates, file_ids: scope.fileIds },
  );
  // Checks over millions of fact rows hash them; the server's default work_mem would spill to disk.
  const { rows } = await withTransaction(pool, async (client) => {
    await client.query(`set local work_mem = '256MB'`);
    return client.query<{ failing_rows: number; sample: unknown[] }>(query.text, query.values);
  });
  const failingRows = rows[0]?.failing_rows ?? 0;
  const result = {
    name: check.name,
    severity: check.severity,
    passed: failingRows === 0,
    failingRows,
    sample: rows[0]?.sample ?? [],
  };
  await pool.query(
    `insert into ops.quality_results (run_id, check_name, severity, passed, failing_rows, sample, description)
       values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (run_id, check_name) do update set passed = excluded.passed, failing_rows = excluded.failing_rows,
         sample = excluded.sample, checked_at = now()`,
    [
      scope.runId,
      check.name,
      check.severity,
      result.passed,
      failingRows,
      JSON.stringify(result.sample),
      check.description,
    ],
  );
  return result;
}

/** Throws when any error-level check failed; warnings pass. */
export function assertQualityGate(results: readonly QualityResult[]): void {
  const failed = results.filter((result) => !result.passed && result.severity === 'error');
  if (failed.length > 0) throw new QualityGateError(failed);
}

/** The files of the staging batches this run finished: what its file-level checks look at. */
export async function filesStagedByRun(db: Queryable, runId: string): Promise<number[]> {
  const { rows } = await db.query<{ file_ids: number[] | null }>(
    `select array_agg(distinct file_id order by file_id) as file_ids
     from ops.staging_batches cross join lateral unnest(file_ids) as file_id
     where run_id = $1 and finished_at is not null`,
    [runId],
  );
  return rows[0]?.file_ids ?? [];
}
