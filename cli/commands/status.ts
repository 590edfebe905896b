import type { Pool } from '../../lambdas/warehouse/db';
import { migrate } from '../../lambdas/warehouse/migrate';
import { EXIT, table, type Writer, exitCodesHelp } from '../output';
import { queryRows } from '../queries';
import { withDatabase } from '../services';

export const STATUS_HELP = `Usage: saas-pipeline status

Shows the recent runs, the steps of the latest one with rows and times, the file ledger, the files
rejected (they are not tried again: "saas-pipeline files retry KEY" releases one), the quarantine by
reason, the Segment calls no mapping covers by name, the erasure requests that arrived (when
there were any), and the latest data-quality results.

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
  const q = (query: string) => queryRows(pool, `status/${query}`);
  write('\nRecent runs');
  write(table(await q('recent_runs')));
  write('\nSteps of the latest run');
  write(table(await q('latest_run_steps')));
  write('\nFile ledger');
  write(table(await q('file_ledger_by_status')));
  const rejected = await q('latest_rejected_files');
  const rejectedCount = (await q('rejected_file_count'))[0]?.n ?? 0;
  write(`\nRejected files (${rejectedCount}; newest ${Math.min(Number(rejectedCount), 10)} shown)`);
  write(table(rejected));
  write('\nQuarantine by reason');
  write(table(await q('quarantined_rows_by_reason')));
  write('\nUnmapped Segment events by name (add them to sql/seeds/segment_mapping.json, then reprocess)');
  write(table(await q('unmapped_events_by_name')));
  const erasures = await q('erasure_requests');
  if (erasures.length > 0) {
    write('\nErasure requests (erasure-requests/ in the landing bucket; newest 10 of 90 days)');
    write(table(erasures));
  }
  write('\nData quality, latest run');
  write(table(await q('latest_quality_results')));
}
