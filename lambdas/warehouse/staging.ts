import { stagingShards } from '../plan';
import {
  allSettledOrThrow,
  analyzeIfMuchChanged,
  assertFewBlamed,
  halve,
  type IsolationLimits,
  isolationTookTooLong,
  isRowDataError,
  prepareBulkTransaction,
  rowFailureOf,
} from './bulk';
import { type Pool, type PoolClient, type Queryable, withTransaction } from './db';
import { DEFAULT_MIN_EVENT_TIMESTAMP, STAGING_BATCH_LIMITS } from './limits';
import { runSqlFile, type SqlParams } from './sql-files';

export interface StageResult {
  readonly files: number;
  readonly staged: number;
  readonly quarantined: number;
  readonly duplicates: number;
  /** Segment calls no mapping covers, kept in staging.unmapped_events. */
  readonly unmapped: number;
  /** Segment identify, alias and group calls, kept in staging.identity_messages. */
  readonly identityMessages: number;
  readonly pendingDates: number;
  /** Loaded files still waiting for a batch after this one. */
  readonly filesWaiting: number;
  /** Rows that made a statement fail and were quarantined as rejected_by_database. */
  readonly rejectedByDatabase: number;
}

export interface StagingBatch {
  readonly batchId: number;
  readonly fileIds: number[];
  readonly shardCount: number;
}

/** Shards that stage a batch at once, as the plan says. */
export const DEFAULT_STAGING_SHARDS = stagingShards();

export interface StageOptions {
  /** @default DEFAULT_STAGING_SHARDS */
  readonly shards?: number;
  /** @default STAGING_BATCH_LIMITS */
  readonly batchLimits?: { readonly lines: number; readonly inflatedBytes: number };
  /** Events before this instant are quarantined as timestamp_too_old. @default DEFAULT_MIN_EVENT_TIMESTAMP */
  readonly minEventTimestamp?: string;
  /** The run staging: recorded on the batch, so that the quality gate finds the run's files. */
  readonly runId?: string;
  /** Keep IP addresses whole instead of their /24 or /48 (FULL_IP_ADDRESSES=on). @default false */
  readonly fullIpAddresses?: boolean;
}

/** The session settings the staging rules read: the earliest event time, and whether IPs stay whole. */
export async function applyStagingSettings(
  client: PoolClient,
  settings: { minEventTimestamp?: string; fullIpAddresses?: boolean },
): Promise<void> {
  await client.query(
    `select set_config('saas_pipeline.min_event_at', $1, true), set_config('saas_pipeline.full_ip_addresses', $2, true)`,
    [settings.minEventTimestamp ?? DEFAULT_MIN_EVENT_TIMESTAMP, settings.fullIpAddresses ? 'on' : 'off'],
  );
}

/**
 * Stages one batch of loaded files from raw to staging: typed events, quarantined rows and
 * duplicates, and the dates that gained events marked pending. A batch interrupted earlier is
 * finished first. The shards run in parallel, each in one transaction; if one fails, calling this
 * again finishes the same batch. Call it until `filesWaiting` is 0 to stage everything.
 */
export async function stageLoadedFiles(pool: Pool, options: StageOptions = {}): Promise<StageResult> {
  const batch = await claimStagingBatch(pool, options.shards ?? DEFAULT_STAGING_SHARDS, options);
  if (batch === null) {
    return {
      files: 0,
      staged: 0,
      quarantined: 0,
      duplicates: 0,
      unmapped: 0,
      identityMessages: 0,
      pendingDates: await countPendingDates(pool),
      filesWaiting: 0,
      rejectedByDatabase: 0,
    };
  }
  await refreshRawStatistics(pool, batch);
  await allSettledOrThrow(
    Array.from({ length: batch.shardCount }, (_, shard) => stageShard(pool, batch, shard, options)),
  );
  return finishStagingBatch(pool, batch, options.runId);
}

/** The shards find their files through raw.events' BRIN index, which the planner only picks with fresh statistics. */
async function refreshRawStatistics(pool: Pool, batch: StagingBatch): Promise<void> {
  await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ n: number }>(
      'select coalesce(sum(line_count), 0)::integer as n from raw.files where file_id = any($1)',
      [batch.fileIds],
    );
    await analyzeIfMuchChanged(client, 'raw.events', rows[0]?.n ?? 0);
  });
}

/** The unfinished batch if there is one (an earlier attempt failed), else a new one of the oldest loaded files; null when nothing waits. */
export async function claimStagingBatch(
  pool: Pool,
  shardCount: number,
  options: Pick<StageOptions, 'batchLimits' | 'runId'> = {},
): Promise<StagingBatch | null> {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 64)
    throw new Error(`shards must be 1..64, got ${shardCount}`);
  const limits = options.batchLimits ?? STAGING_BATCH_LIMITS;
  // Index the block ranges that loading added, or every shard would read all of raw.events to find them.
  await pool.query(`select ops.summarize_raw_events()`);
  return withTransaction(pool, async (client) => {
    await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:staging'))`);
    const open = await client.query<{ batch_id: number; file_ids: number[]; shard_count: number }>(
      `select batch_id, file_ids, shard_count from ops.staging_batches where finished_at is null order by batch_id limit 1`,
    );
    const row =
      open.rows[0] ??
      (
        await client.query<{ batch_id: number; file_ids: number[]; shard_count: number }>(
          `with waiting as (
             select file_id,
               sum(line_count) over (order by file_id) as lines_so_far,
               sum(coalesce(inflated_bytes, 0)) over (order by file_id) as bytes_so_far,
               row_number() over (order by file_id) as position
             from raw.files
             where status = 'loaded' and staging_batch_id is null
           ),
           chosen as (
             select array_agg(file_id order by file_id) as file_ids
             from waiting
             where position = 1 or (lines_so_far <= $2 and bytes_so_far <= $3)
           ),
           batch as (
             insert into ops.staging_batches (file_ids, shard_count, run_id)
             select file_ids, $1, $4 from chosen where file_ids is not null
             returning batch_id, file_ids, shard_count
           ),
           taken as (
             update raw.files set staging_batch_id = batch.batch_id from batch where file_id = any(batch.file_ids)
           )
           select batch_id, file_ids, shard_count from batch`,
          [shardCount, limits.lines, limits.inflatedBytes, options.runId ?? null],
        )
      ).rows[0];
    return row ? { batchId: row.batch_id, fileIds: row.file_ids, shardCount: row.shard_count } : null;
  });
}

/** Stages one shard of the batch in one transaction; a shard already staged is left alone. */
export async function stageShard(
  pool: Pool,
  batch: StagingBatch,
  shard: number,
  settings: Pick<StageOptions, 'minEventTimestamp' | 'fullIpAddresses'> = {},
): Promise<void> {
  await withTransaction(pool, async (client) => {
    await prepareBulkTransaction(client, `staging:${batch.batchId}:${shard}`);
    const done = await client.query('select 1 from ops.staging_shards where batch_id = $1 and shard = $2', [
      batch.batchId,
      shard,
    ]);
    if (done.rowCount) return;
    await applyStagingSettings(client, settings);
    await stageShardRows(client, {
      file_ids: batch.fileIds,
      shard,
      shard_count: batch.shardCount,
      batch_id: batch.batchId,
      min_line: 0,
      max_line: MAX_LINE,
      skip_quarantined: false,
      listed_only: false,
    });
  });
  await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ n: number }>(
      'select coalesce(sum(staged_rows), 0)::integer as n from ops.staging_shard_files where batch_id = $1 and shard = $2',
      [batch.batchId, shard],
    );
    await analyzeIfMuchChanged(client, 'staging.events', rows[0]?.n ?? 0);
  });
}

export const MAX_LINE = 2_147_483_647;
const STAGING_STEP_SQL = 'steps/staging/stg_events.sql';

/**
 * Runs the staging model for a shard. Timestamps are cast without a per-row exception block, which
 * is several times faster; when a well-shaped but impossible one (2024-02-30) fails the shard, it runs
 * again with `saas_pipeline.safe_casts` on, which quarantines such a value. If a row's values still
 * make a statement fail (a data exception, a constraint, an index entry too large), the rows that do
 * are found, quarantined as rejected_by_database with the database's error, and the rest staged.
 */
export async function stageShardRows(client: PoolClient, params: SqlParams): Promise<void> {
  const attempt = async (extra: SqlParams = {}): Promise<unknown> => {
    await client.query('savepoint shard_attempt');
    try {
      await runSqlFile(client, STAGING_STEP_SQL, { ...params, ...extra });
      await client.query('release savepoint shard_attempt');
      return null;
    } catch (error) {
      await client.query('rollback to savepoint shard_attempt');
      await client.query('release savepoint shard_attempt');
      if (!isRowDataError(error)) throw error;
      return error;
    }
  };
  if ((await attempt()) === null) return;
  await client.query(`set local saas_pipeline.safe_casts = 'on'`);
  const failure = await attempt();
  if (failure === null) return;
  const rejected = await isolateFailingRows(client, params);
  if (rejected === 0) throw failure;
  await assertFewRejected(client, params, rejected, failure);
  const last = await attempt({ skip_quarantined: true });
  if (last !== null) throw last;
}

/**
 * Past these, a failing shard is a bug to fix rather than a few bad rows to set aside: when more than
 * 1,000 rows, or more than half of the shard, fail on their own, the shard fails and nothing is
 * quarantined (a trigger or a constraint refusing everything must not empty the warehouse).
 */
export const ISOLATION_LIMITS: IsolationLimits = { rows: 1000, probes: 4000, share: 0.5, seconds: 300 };

async function assertFewRejected(
  client: PoolClient,
  params: SqlParams,
  rejected: number,
  failure: unknown,
): Promise<void> {
  const { rows } = await client.query<{ n: number }>(
    `select count(*)::integer as n from staging.raw_events_checked
     where file_id = any($1::bigint[]) and event_hash % $2::integer = $3::integer`,
    [params.file_ids, params.shard_count, params.shard],
  );
  assertFewBlamed(ISOLATION_LIMITS, rejected, rows[0]?.n ?? 0, 'rows', failure);
}

/**
 * Finds the rows whose values make the staging model fail, by halving: first the batch's files,
 * then a failing file's line numbers. Each probe runs the whole model on a part, inside a savepoint
 * that is always rolled back. A row found is quarantined at once (so later probes leave it out);
 * returns how many were.
 */
async function isolateFailingRows(client: PoolClient, params: SqlParams): Promise<number> {
  let probes = 0;
  let found = 0;
  // Each probe reads its files again: many failing rows in a huge file must fail the step in time,
  // with a message that says so, rather than run into the function's timeout.
  const deadline = Date.now() + ISOLATION_LIMITS.seconds * 1000;
  const probe = (fileIds: number[], minLine: number, maxLine: number): Promise<Error | null> => {
    if (++probes > ISOLATION_LIMITS.probes || found >= ISOLATION_LIMITS.rows) return Promise.resolve(null);
    if (Date.now() > deadline) return Promise.reject(isolationTookTooLong(ISOLATION_LIMITS, found));
    return rowFailureOf(client, () =>
      runSqlFile(client, STAGING_STEP_SQL, {
        ...params,
        file_ids: fileIds,
        min_line: minLine,
        max_line: maxLine,
        skip_quarantined: true,
      }),
    );
  };
  const inFile = async (fileId: number): Promise<void> => {
    const { rows } = await client.query<{ low: number | null; high: number | null }>(
      'select min(line_number) as low, max(line_number) as high from raw.events where file_id = $1',
      [fileId],
    );
    const { low, high } = rows[0] ?? { low: null, high: null };
    if (low === null || high === null) return;
    await halve(
      low,
      high,
      (from, to) => probe([fileId], from, to),
      async (line, error) => {
        await quarantineRejectedRow(client, fileId, line, error);
        found++;
      },
    );
  };
  const fileIds = params.file_ids as number[];
  await halve(
    0,
    fileIds.length - 1,
    (from, to) => probe(fileIds.slice(from, to + 1), 0, MAX_LINE),
    (position) => inFile(fileIds[position] as number),
  );
  return found;
}

async function quarantineRejectedRow(
  client: PoolClient,
  fileId: number,
  lineNumber: number,
  error: Error,
): Promise<void> {
  const code = (error as { code?: string }).code ?? '';
  const message = error.message.replace(/^steps\/staging\/stg_events\.sql: /, '');
  await client.query(
    `insert into staging.quarantine (file_id, line_number, reason, detail, payload, raw_line)
     select file_id, line_number, 'rejected_by_database', left($3, 1000), payload, line
     from raw.events where file_id = $1 and line_number = $2
     on conflict (file_id, line_number) do nothing`,
    [fileId, lineNumber, `${code}: ${message}`],
  );
}

/** Records every file's outcome once all shards are done, and closes the batch. */
export async function finishStagingBatch(
  pool: Pool,
  batch: StagingBatch,
  runId?: string,
): Promise<StageResult> {
  return withTransaction(pool, async (client) => {
    await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:staging'))`);
    const shards = await client.query<{ n: number }>(
      'select count(*)::integer as n from ops.staging_shards where batch_id = $1',
      [batch.batchId],
    );
    if ((shards.rows[0]?.n ?? 0) < batch.shardCount)
      throw new Error(`Staging batch ${batch.batchId} has unfinished shards`);
    const [result] = await runSqlFile(client, 'steps/staging/stg_files.sql', {
      batch_id: batch.batchId,
      run_id: runId ?? null,
    });
    const rows = (result?.rows ?? []) as {
      staged_rows: number;
      quarantined_rows: number;
      duplicate_rows: number;
      unmapped_rows: number;
      identity_rows: number;
    }[];
    // New identify or alias calls may link ids to persons: the dates whose events move are marked.
    if (rows.some((row) => row.identity_rows > 0)) await resolveIdentities(client);
    const rejected = await client.query<{ n: number }>(
      `select count(*)::integer as n from staging.quarantine
       where file_id = any($1) and reason = 'rejected_by_database'`,
      [batch.fileIds],
    );
    return {
      files: batch.fileIds.length,
      staged: sum(rows.map((row) => row.staged_rows)),
      quarantined: sum(rows.map((row) => row.quarantined_rows)),
      duplicates: sum(rows.map((row) => row.duplicate_rows)),
      unmapped: sum(rows.map((row) => row.unmapped_rows)),
      identityMessages: sum(rows.map((row) => row.identity_rows)),
      pendingDates: await countPendingDates(client),
      filesWaiting: await countFilesWaiting(client),
      rejectedByDatabase: rejected.rows[0]?.n ?? 0,
    };
  });
}

/** Rebuilds staging.identity_links from every identify and alias call, under the staging lock. */
export async function resolveIdentities(client: PoolClient): Promise<void> {
  await runSqlFile(client, 'steps/staging/identity_links.sql');
}

async function countFilesWaiting(db: Queryable): Promise<number> {
  const result = await db.query<{ n: number }>(
    `select count(*)::integer as n from raw.files where status = 'loaded' and staging_batch_id is null`,
  );
  return result.rows[0]?.n ?? 0;
}

export async function countPendingDates(db: Queryable): Promise<number> {
  const result = await db.query<{ n: number }>('select count(*)::integer as n from ops.pending_dates');
  return result.rows[0]?.n ?? 0;
}

/** Every loaded file, batch after batch: what a run does with the files it loaded. */
export async function stageAllLoadedFiles(
  pool: Pool,
  options: StageOptions & { maxBatches?: number } = {},
): Promise<StageResult> {
  let total: StageResult | null = null;
  for (let batch = 0; batch < (options.maxBatches ?? Number.POSITIVE_INFINITY); batch++) {
    const result = await stageLoadedFiles(pool, options);
    total = total === null ? result : addStageResults(total, result);
    if (result.files === 0 || result.filesWaiting === 0) break;
  }
  return total as StageResult;
}

function addStageResults(a: StageResult, b: StageResult): StageResult {
  return {
    files: a.files + b.files,
    staged: a.staged + b.staged,
    quarantined: a.quarantined + b.quarantined,
    duplicates: a.duplicates + b.duplicates,
    unmapped: a.unmapped + b.unmapped,
    identityMessages: a.identityMessages + b.identityMessages,
    pendingDates: b.pendingDates,
    filesWaiting: b.filesWaiting,
    rejectedByDatabase: a.rejectedByDatabase + b.rejectedByDatabase,
  };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
