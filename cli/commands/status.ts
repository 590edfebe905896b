import type { Pool } from '../../lambdas/warehouse/db';
import { migrate } from '../../lambdas/warehouse/migrate';
import { EXIT, table, type Writer, exitCodesHelp } from '../output';
import { withDatabase } from '../services';

export const STATUS_HELP = `Usage: saas-pipeline status

Shows the recent runs, the steps of the latest one with rows and times, the file ledger, the files
rejected (they are not tried again: "saas-pipeline files retry KEY" releases one), the quarantine by
reason and the latest data-quality results.

${exitCodesHelp({ ok: 'shown', failure: true, databaseUnreachable: true })}
`;

export async function statusCommand(argv: string[], write: Writer): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) return (write(STATUS_HELP), EXIT.ok);
  return withDatabase(write, async (db) => {
    await migrate(db.pool);
    await printStatus(db.pool, write);
    return EXIT.ok;
  });
}

export async function printStatus(pool: Pool, write: Writer): Promise<void> {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  write('\nRecent runs');
  write(
    table(
      await q(`select run_id, status, trigger, as_of_date, started_at,
      round(extract(epoch from finished_at - started_at)::numeric, 1) as seconds, left(error, 80) as error
    from ops.runs order by started_at desc limit 5`),
    ),
  );
  write('\nSteps of the latest run');
  write(
    table(
      await q(`select step_name as step, status, row_count as rows, round(duration_ms / 1000.0, 2) as seconds
    from ops.run_steps where run_id = (select run_id from ops.runs order by started_at desc limit 1)
    order by started_at, step_name`),
    ),
  );
  write('\nFile ledger');
  write(
    table(
      await q(`select status, count(*) as files, sum(line_count) as lines, sum(staged_rows) as staged,
      sum(quarantined_rows) as quarantined, sum(duplicate_rows) as duplicates, max(coalesce(staged_at, loaded_at, started_at)) as last_change
    from raw.files group by status order by status`),
    ),
  );
  const rejected =
    await q(`select object_key as key, reject_reason as reason, rejected_at, left(detail, 80) as detail
    from ops.rejected_files order by rejected_at desc limit 10`);
  const rejectedCount = (await q('select count(*)::integer as n from ops.rejected_files'))[0]?.n ?? 0;
  write(`\nRejected files (${rejectedCount}; newest ${Math.min(Number(rejectedCount), 10)} shown)`);
  write(table(rejected));
  write('\nQuarantine by reason');
  write(
    table(
      await q(`select reason, count(*) as rows, min(detail) as example_detail
    from staging.quarantine group by reason order by count(*) desc`),
    ),
  );
  write('\nData quality, latest run');
  write(
    table(
      await q(`select check_name, severity, case when passed then 'pass' else 'FAIL' end as result, failing_rows
    from ops.quality_results where run_id = (select run_id from ops.quality_results order by checked_at desc limit 1)
    order by passed, severity, check_name`),
    ),
  );
}
