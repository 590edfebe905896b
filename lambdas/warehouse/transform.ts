import { type Pool, type PoolClient, withTransaction } from './db';
import type { QueryResult } from 'pg';
import { runSqlFile, SqlFileError } from './sql-files';

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

/**
 * Moves every loaded-but-unstaged file from raw to staging in one transaction: typed events,
 * quarantined rows and duplicates, and the dates that gained events marked pending.
 */
export async function stageLoadedFiles(pool: Pool): Promise<StageResult> {
  return withTransaction(pool, async (client) => {
    await prepareBulkTransaction(client, 'staging');
    const waiting = await client.query<{ file_id: number }>(
      `select file_id from raw.files where status = 'loaded' order by file_id for update`,
    );
    const fileIds = waiting.rows.map((row) => row.file_id);
    if (fileIds.length === 0) {
      return { files: 0, staged: 0, quarantined: 0, duplicates: 0, pendingDates: await countPendingDates(client), fileIds };
    }
    const results = await stageWithSafeCastsIfNeeded(client, fileIds);
    const rows = (results.at(-1)?.rows ?? []) as { staged_rows: number; quarantined_rows: number; duplicate_rows: number }[];
    return {
      files: fileIds.length,
      staged: sum(rows.map((row) => row.staged_rows)),
      quarantined: sum(rows.map((row) => row.quarantined_rows)),
      duplicates: sum(rows.map((row) => row.duplicate_rows)),
      pendingDates: await countPendingDates(client),
      fileIds,
    };
  });
}

/**
 * Timestamps are cast without a per-row exception block, which is several times faster. When a
 * well-shaped but impossible one (2024-02-30) makes the batch fail, the batch runs again with
 * `saas_pipeline.safe_casts` on, which turns such a value into a quarantined row. Same result, slower.
 */
async function stageWithSafeCastsIfNeeded(client: PoolClient, fileIds: number[]): Promise<QueryResult[]> {
  await client.query('savepoint fast_casts');
  try {
    return await runSqlFile(client, 'models/staging/stg_events.sql', { file_ids: fileIds });
  } catch (error) {
    if (!(error instanceof SqlFileError) || !error.code?.startsWith('22')) throw error;
    await client.query('rollback to savepoint fast_casts');
    await client.query(`set local saas_pipeline.safe_casts = 'on'`);
    return runSqlFile(client, 'models/staging/stg_events.sql', { file_ids: fileIds });
  }
}

export async function readPendingDates(db: Pick<Pool, 'query'>): Promise<string[]> {
  const result = await db.query<{ event_date: string }>('select event_date from ops.pending_dates order by event_date');
  return result.rows.map((row) => row.event_date);
}

async function countPendingDates(client: PoolClient): Promise<number> {
  const result = await client.query<{ n: number }>('select count(*)::integer as n from ops.pending_dates');
  return result.rows[0]?.n ?? 0;
}

export interface ModelResult {
  readonly model: CoreModel;
  readonly dates: number;
  /** Rows written by the model's last statement. */
  readonly rows: number;
}

/** Rebuilds one core model for the pending dates, in one transaction: readers see the old or the new, never half. */
export async function buildCoreModel(pool: Pool, model: CoreModel): Promise<ModelResult> {
  if (!CORE_MODELS.includes(model)) throw new Error(`Unknown core model: ${String(model)}`);
  return withTransaction(pool, async (client) => {
    await prepareBulkTransaction(client, `model:${model}`);
    const dates = await readPendingDates(client);
    if (dates.length === 0) return { model, dates: 0, rows: 0 };
    const results = await runSqlFile(client, `models/core/${model}.sql`, { dates });
    return { model, dates: dates.length, rows: results.at(-1)?.rowCount ?? 0 };
  });
}

/** Every core model, group after group. */
export async function buildCore(pool: Pool): Promise<ModelResult[]> {
  const results: ModelResult[] = [];
  for (const group of CORE_MODEL_GROUPS) {
    results.push(...(await Promise.all(group.map((model) => buildCoreModel(pool, model)))));
  }
  return results;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
