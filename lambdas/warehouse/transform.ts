import { type Pool, type PoolClient, withTransaction } from './db';
import type { QueryResult } from 'pg';
import { runSqlFile, SqlFileError, type SqlParams } from './sql-files';

/**
 * The core layer in build order. Models in one group read nothing written by each other, so the state
 * machine runs each group in parallel. Facts come first: they need only staging, and dim_users takes a
 * user's first activity from the daily facts when no sign-up event exists.
 */
export const CORE_MODEL_GROUPS = [
  ['fact_events'],
  // Both aggregate fact_events for the pending dates.
  ['fact_daily_user_activity', 'fact_daily_user_features'],
  ['dim_date', 'dim_features', 'dim_users', 'dim_documents'],
] as const;

export type CoreModel = (typeof CORE_MODEL_GROUPS)[number][number];
export const CORE_MODELS: readonly CoreModel[] = CORE_MODEL_GROUPS.flat();

export interface StageResult {
  readonly files: number;
  readonly staged: number;
  readonly quarantined: number;
  readonly duplicates: number;
  readonly pendingDates: number;
  readonly fileIds: number[];
}

/** Bulk statements sort and hash millions of rows; the server default (4 MB) would spill them to disk. One bulk statement runs at a time per step. */
async function prepareBulkTransaction(client: PoolClient, lockName: string): Promise<void> {
  await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [`saas-pipeline:${lockName}`]);
  await client.query(`set local work_mem = '512MB'`);
}

export interface StagingBatch {
  readonly batchId: number;
  readonly fileIds: number[];
  readonly shardCount: number;
}

/** Shards that stage a batch at once: one per core of a small database server. */
export const DEFAULT_STAGING_SHARDS = 2;

/**
 * Moves every loaded-but-unstaged file from raw to staging: typed events, quarantined rows and
 * duplicates, and the dates that gained events marked pending. The batch is staged in shards that
 * run in parallel, each in one transaction; if one fails, calling this again finishes the same batch.
 */
export async function stageLoadedFiles(pool: Pool, options: { shards?: number } = {}): Promise<StageResult> {
  const batch = await claimStagingBatch(pool, options.shards ?? DEFAULT_STAGING_SHARDS);
  if (batch === null) {
    return {
      files: 0,
      staged: 0,
      quarantined: 0,
      duplicates: 0,
      pendingDates: await countPendingDates(pool),
      fileIds: [],
    };
  }
  await refreshRawStatistics(pool, batch);
  await allSettledOrThrow(
    Array.from({ length: batch.shardCount }, (_, shard) => stageShard(pool, batch, shard)),
  );
  return finishStagingBatch(pool, batch);
}

/** The shards find their files through raw.events' BRIN index, which the planner only picks with fresh statistics. */
async function refreshRawStatistics(pool: Pool, batch: StagingBatch): Promise<void> {
  await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ n: number }>(
      'select coalesce(sum(row_count), 0)::integer as n from raw.files where file_id = any($1)',
      [batch.fileIds],
    );
    await analyzeIfMuchChanged(client, 'raw.events', rows[0]?.n ?? 0);
  });
}

/** The unfinished batch if there is one (an earlier attempt failed), else a new one of every loaded file; null when nothing waits. */
export async function claimStagingBatch(pool: Pool, shardCount: number): Promise<StagingBatch | null> {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 64)
    throw new Error(`shards must be 1..64, got ${shardCount}`);
  // Index the block ranges that loading added, or every shard would read all of raw.events to find them.
  await pool.query(`select brin_summarize_new_values('raw.events_file_id_brin')`);
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
             select array_agg(file_id order by file_id) as file_ids
             from raw.files where status = 'loaded' and staging_batch_id is null
           ),
           batch as (
             insert into ops.staging_batches (file_ids, shard_count)
             select file_ids, $1 from waiting where file_ids is not null
             returning batch_id, file_ids, shard_count
           ),
           taken as (
             update raw.files set staging_batch_id = batch.batch_id from batch where file_id = any(batch.file_ids)
           )
           select batch_id, file_ids, shard_count from batch`,
          [shardCount],
        )
      ).rows[0];
    return row ? { batchId: row.batch_id, fileIds: row.file_ids, shardCount: row.shard_count } : null;
  });
}

/** Stages one shard of the batch in one transaction; a shard already staged is left alone. */
export async function stageShard(pool: Pool, batch: StagingBatch, shard: number): Promise<void> {
  await withTransaction(pool, async (client) => {
    await prepareBulkTransaction(client, `staging:${batch.batchId}:${shard}`);
    const done = await client.query('select 1 from ops.staging_shards where batch_id = $1 and shard = $2', [
      batch.batchId,
      shard,
    ]);
    if (done.rowCount) return;
    await stageWithSafeCastsIfNeeded(client, {
      file_ids: batch.fileIds,
      shard,
      shard_count: batch.shardCount,
      batch_id: batch.batchId,
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

/** Records every file's outcome once all shards are done, and closes the batch. */
export async function finishStagingBatch(pool: Pool, batch: StagingBatch): Promise<StageResult> {
  return withTransaction(pool, async (client) => {
    await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:staging'))`);
    const shards = await client.query<{ n: number }>(
      'select count(*)::integer as n from ops.staging_shards where batch_id = $1',
      [batch.batchId],
    );
    if ((shards.rows[0]?.n ?? 0) < batch.shardCount)
      throw new Error(`Staging batch ${batch.batchId} has unfinished shards`);
    const [result] = await runSqlFile(client, 'models/staging/stg_files.sql', { batch_id: batch.batchId });
    const rows = (result?.rows ?? []) as {
      staged_rows: number;
      quarantined_rows: number;
      duplicate_rows: number;
    }[];
    return {
      files: batch.fileIds.length,
      staged: sum(rows.map((row) => row.staged_rows)),
      quarantined: sum(rows.map((row) => row.quarantined_rows)),
      duplicates: sum(rows.map((row) => row.duplicate_rows)),
      pendingDates: await countPendingDates(client),
      fileIds: batch.fileIds,
    };
  });
}

/**
 * Timestamps are cast without a per-row exception block, which is several times faster. When a
 * well-shaped but impossible one (2024-02-30) makes the batch fail, the batch runs again with
 * `saas_pipeline.safe_casts` on, which turns such a value into a quarantined row. Same result, slower.
 */
async function stageWithSafeCastsIfNeeded(client: PoolClient, params: SqlParams): Promise<QueryResult[]> {
  await client.query('savepoint fast_casts');
  try {
    return await runSqlFile(client, 'models/staging/stg_events.sql', params);
  } catch (error) {
    if (!(error instanceof SqlFileError) || !error.code?.startsWith('22')) throw error;
    await client.query('rollback to savepoint fast_casts');
    await client.query(`set local saas_pipeline.safe_casts = 'on'`);
    return runSqlFile(client, 'models/staging/stg_events.sql', params);
  }
}

/**
 * The next step queries what this one wrote within milliseconds, long before autovacuum analyzes it;
 * with statistics from an emptier table the planner picks nested loops over thousands of rows. So a
 * table that grew by a tenth or more is analyzed at once (a sample: about 0.1 s on millions of rows).
 */
async function analyzeIfMuchChanged(client: PoolClient, table: string, rowsWritten: number): Promise<void> {
  if (rowsWritten === 0) return;
  // Two concurrent ANALYZEs of one table fail ("tuple concurrently updated"): parallel shards take turns.
  await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [`saas-pipeline:analyze:${table}`]);
  const { rows } = await client.query<{ estimate: number }>(
    `select reltuples::float8 as estimate from pg_class where oid = $1::regclass`,
    [table],
  );
  const estimate = rows[0]?.estimate ?? -1;
  if (estimate < 0 || rowsWritten >= 0.1 * estimate) await client.query(`analyze ${table}`);
}

export async function readPendingDates(db: Pick<Pool, 'query'>): Promise<string[]> {
  const result = await db.query<{ event_date: string }>(
    'select event_date from ops.pending_dates order by event_date',
  );
  return result.rows.map((row) => row.event_date);
}

async function countPendingDates(client: Pick<Pool, 'query'>): Promise<number> {
  const result = await client.query<{ n: number }>('select count(*)::integer as n from ops.pending_dates');
  return result.rows[0]?.n ?? 0;
}

export interface ModelResult {
  readonly model: CoreModel;
  readonly dates: number;
  /** Rows written by the model's last statement. */
  readonly rows: number;
}

/**
 * Models rebuilt date by date with nothing shared between dates, so a run may split the pending
 * dates into shards built in parallel. The others rebuild rows keyed by user or document, which the
 * dates of two shards would share.
 */
export const DATE_SHARDED_MODELS: readonly CoreModel[] = [
  'fact_events',
  'fact_daily_user_activity',
  'fact_daily_user_features',
];

export interface ModelShard {
  readonly shard: number;
  readonly shardCount: number;
}

/**
 * Rebuilds one core model for the pending dates (or one shard of them), in one transaction: readers
 * see the old rows or the new, never half.
 */
export async function buildCoreModel(
  pool: Pool,
  model: CoreModel,
  part: ModelShard = { shard: 0, shardCount: 1 },
): Promise<ModelResult> {
  if (!CORE_MODELS.includes(model)) throw new Error(`Unknown core model: ${String(model)}`);
  if (part.shardCount > 1 && !DATE_SHARDED_MODELS.includes(model))
    throw new Error(`${model} cannot be built in shards`);
  return withTransaction(pool, async (client) => {
    await prepareBulkTransaction(client, `model:${model}:${part.shard}/${part.shardCount}`);
    const dates = (await readPendingDates(client)).filter((_, i) => i % part.shardCount === part.shard);
    if (dates.length === 0) return { model, dates: 0, rows: 0 };
    const results = await runSqlFile(client, `models/core/${model}.sql`, { dates });
    const rows = results.at(-1)?.rowCount ?? 0;
    await analyzeIfMuchChanged(client, `core.${model}`, rows);
    return { model, dates: dates.length, rows };
  });
}

/** Like Promise.all, but a failure is reported only once every task has stopped: nothing runs on behind the error. */
export async function allSettledOrThrow<T>(tasks: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
