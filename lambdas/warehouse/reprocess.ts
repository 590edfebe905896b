import { isCalendarDate } from './analytics';
import { prepareBulkTransaction } from './bulk';
import { type Pool, withTransaction } from './db';
import { runSqlFile } from './sql-files';
import { applyStagingSettings, MAX_LINE, resolveIdentities, stageShardRows } from './staging';

/** What one outcome table held of the re-derived lines, before and after. */
export interface OutcomeChange {
  readonly before: number;
  readonly after: number;
}

export interface ReprocessResult {
  readonly from: string;
  readonly to: string;
  /** Raw lines routed again. */
  readonly lines: number;
  readonly files: number;
  readonly staged: OutcomeChange;
  readonly quarantined: OutcomeChange;
  readonly duplicates: OutcomeChange;
  readonly unmapped: OutcomeChange;
  readonly identityMessages: OutcomeChange;
  /** Dates the core rebuilds at the next run. */
  readonly pendingDates: number;
}

const OUTCOMES = ['staged', 'quarantined', 'duplicates', 'unmapped', 'identities'] as const;

/**
 * Re-derives staging for the event dates from..to from what raw holds, under the mapping and rules of
 * now (sql/steps/staging/reprocess_lines.sql says which lines), and marks those dates pending: the next
 * run rebuilds their facts, refreshes and publishes. Other dates' staging and facts are not touched.
 * One transaction, under the staging lock: killed at any point it leaves staging as it was, and run
 * twice it gives what it gave once. Rows the database refuses are isolated as staging does.
 */
export async function reprocessDates(
  pool: Pool,
  range: { from: string; to: string },
  options: { minEventTimestamp?: string; fullIpAddresses?: boolean } = {},
): Promise<ReprocessResult> {
  if (!isCalendarDate(range.from) || !isCalendarDate(range.to))
    throw new RangeError(`reprocess needs two dates YYYY-MM-DD, got ${range.from} and ${range.to}`);
  if (range.to < range.from) throw new RangeError(`--to (${range.to}) is before --from (${range.from})`);
  const dates = { from_date: range.from, to_date: range.to };
  return withTransaction(pool, async (client) => {
    // The lock the staging batches take, then the shard's bulk settings.
    await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:staging'))`);
    await prepareBulkTransaction(client, 'reprocess');
    await applyStagingSettings(client, options);
    await client.query('delete from staging.reprocess_lines');
    await runSqlFile(client, 'steps/staging/reprocess_lines.sql', dates);
    const { rows: files } = await client.query<{ file_id: number }>(
      'select distinct file_id from staging.reprocess_lines order by file_id',
    );
    const fileIds = files.map((row) => Number(row.file_id));
    if (fileIds.length > 0) {
      const batch = await client.query<{ batch_id: number }>(
        `insert into ops.staging_batches (file_ids, shard_count) values ($1, 1) returning batch_id`,
        [fileIds],
      );
      const batchId = batch.rows[0]?.batch_id;
      await stageShardRows(client, {
        file_ids: fileIds,
        shard: 0,
        shard_count: 1,
        batch_id: batchId,
        min_line: 0,
        max_line: MAX_LINE,
        skip_quarantined: false,
        listed_only: true,
      });
      await client.query('update ops.staging_batches set finished_at = now() where batch_id = $1', [batchId]);
    }
    const { rows } = await client.query<
      Record<`${(typeof OUTCOMES)[number]}_${'before' | 'after'}`, number> & {
        lines: number;
      }
    >(
      `with after as (
         select r.file_id,
           count(s.event_id) as staged, count(q.file_id) as quarantined, count(d.file_id) as duplicates,
           count(u.file_id) as unmapped, count(i.file_id) as identities, count(*) as lines
         from staging.reprocess_lines as r
         left join staging.events as s on s.file_id = r.file_id and s.line_number = r.line_number
         left join staging.quarantine as q on q.file_id = r.file_id and q.line_number = r.line_number
         left join staging.duplicates as d on d.file_id = r.file_id and d.line_number = r.line_number
         left join staging.unmapped_events as u on u.file_id = r.file_id and u.line_number = r.line_number
         left join staging.identity_messages as i on i.file_id = r.file_id and i.line_number = r.line_number
         group by r.file_id
       ),
       ledger as (
         update raw.files as f
         set staged_rows = f.staged_rows - b.staged + a.staged,
             quarantined_rows = f.quarantined_rows - b.quarantined + a.quarantined,
             duplicate_rows = f.duplicate_rows - b.duplicates + a.duplicates,
             unmapped_rows = coalesce(f.unmapped_rows, 0) - b.unmapped + a.unmapped,
             identity_rows = coalesce(f.identity_rows, 0) - b.identities + a.identities
         from after as a
         inner join reprocess_before as b on b.file_id = a.file_id
         where f.file_id = a.file_id
       )
       select coalesce(sum(a.lines), 0)::integer as lines,
         ${OUTCOMES.map((o) => `coalesce(sum(b.${o}), 0)::integer as ${o}_before, coalesce(sum(a.${o}), 0)::integer as ${o}_after`).join(', ')}
       from after as a
       inner join reprocess_before as b on b.file_id = a.file_id`,
    );
    await client.query('delete from staging.reprocess_lines');
    await resolveIdentities(client);
    const pending = await client.query<{ n: number }>('select count(*)::integer as n from ops.pending_dates');
    const totals = rows[0];
    const change = (outcome: (typeof OUTCOMES)[number]): OutcomeChange => ({
      before: totals?.[`${outcome}_before`] ?? 0,
      after: totals?.[`${outcome}_after`] ?? 0,
    });
    return {
      ...range,
      lines: totals?.lines ?? 0,
      files: fileIds.length,
      staged: change('staged'),
      quarantined: change('quarantined'),
      duplicates: change('duplicates'),
      unmapped: change('unmapped'),
      identityMessages: change('identities'),
      pendingDates: pending.rows[0]?.n ?? 0,
    };
  });
}
