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

/** The outcomes of staging.line_outcomes, by the result's names. */
const OUTCOMES = {
  staged: 'staged',
  quarantined: 'quarantined',
  duplicates: 'duplicate',
  unmapped: 'unmapped',
  identityMessages: 'identity',
} as const;

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
    const { rows: changes } = await client.query<{ outcome: string; before: number; after: number }>(
      `with after as (
         select o.outcome, count(*) as lines
         from staging.reprocess_lines as r
         inner join staging.line_outcomes as o on o.file_id = r.file_id and o.line_number = r.line_number
         group by o.outcome
       )
       select coalesce(a.outcome, b.outcome) as outcome,
         coalesce(b.lines, 0)::integer as before, coalesce(a.lines, 0)::integer as after
       from after as a
       full join reprocess_before as b on b.outcome = a.outcome`,
    );
    if (fileIds.length > 0)
      await runSqlFile(client, 'steps/staging/recount_files.sql', { file_ids: fileIds });
    const { rows: listed } = await client.query<{ n: number }>(
      'select count(*)::integer as n from staging.reprocess_lines',
    );
    await client.query('delete from staging.reprocess_lines');
    await resolveIdentities(client);
    const pending = await client.query<{ n: number }>('select count(*)::integer as n from ops.pending_dates');
    const change = (outcome: string): OutcomeChange => {
      const row = changes.find((c) => c.outcome === outcome);
      return { before: row?.before ?? 0, after: row?.after ?? 0 };
    };
    return {
      ...range,
      lines: listed[0]?.n ?? 0,
      files: fileIds.length,
      staged: change(OUTCOMES.staged),
      quarantined: change(OUTCOMES.quarantined),
      duplicates: change(OUTCOMES.duplicates),
      unmapped: change(OUTCOMES.unmapped),
      identityMessages: change(OUTCOMES.identityMessages),
      pendingDates: pending.rows[0]?.n ?? 0,
    };
  });
}
