import {
  type AnalyticsView,
  ANALYTICS_VIEWS,
  type Publication,
  publishAnalytics,
  refreshAnalyticsView,
  setAnalyticsAsOf,
} from './analytics';
import { allSettledOrThrow } from './bulk';
import { buildCoreModel, CORE_MODEL_GROUPS, DATE_SHARDED_MODELS, type ModelResult } from './core';
import type { Pool } from './db';
import { type IngestResult, type IngestSource, ingestFile } from './ingest';
import { migrate } from './migrate';
import {
  assertQualityGate,
  filesStagedByRun,
  type QualityPhase,
  type QualityResult,
  runQualityChecks,
} from './quality';
import {
  clearPendingDates,
  finishRun,
  holdRunSlot,
  newRunId,
  recordStep,
  snapshotPendingDates,
  startRun,
} from './runs';
import { type StageOptions, type StageResult, stageAllLoadedFiles } from './staging';

export interface StepEvent {
  readonly step: string;
  readonly status: 'started' | 'succeeded' | 'failed';
  readonly rows?: number;
  readonly durationMs?: number;
  readonly error?: string;
}

export interface WarehouseRunOptions {
  readonly runId?: string;
  /** The logical date A for the analytics; default: the latest event date loaded. */
  readonly asOf?: string;
  readonly trigger?: string;
  /** Files to load before transforming; each is loaded at most once however often it is given. */
  readonly sources?: Iterable<IngestSource> | AsyncIterable<IngestSource>;
  readonly ingestConcurrency?: number;
  readonly onStep?: (event: StepEvent) => void;
  readonly onFileLoaded?: (result: IngestResult) => void;
  /** Staging options (batch limits, the timestamp floor); the run id is set by the run. */
  readonly staging?: Omit<StageOptions, 'runId'>;
}

export interface WarehouseRunSummary {
  readonly runId: string;
  readonly asOf: string | null;
  readonly files: IngestResult[];
  readonly staging: StageResult;
  readonly models: ModelResult[];
  readonly views: { view: AnalyticsView; rows: number }[];
  readonly quality: QualityResult[];
  readonly publication: Publication;
  readonly durationMs: number;
}

/**
 * One run of the warehouse, step after step, recorded in ops: load files, stage, build core, check,
 * refresh analytics, check, publish. The state machine runs these same steps as separate Lambda
 * tasks; this in-process sequence serves the tests and the benchmark. The process owns the run
 * through the run slot while it lasts.
 */
export async function runWarehouse(
  pool: Pool,
  options: WarehouseRunOptions = {},
): Promise<WarehouseRunSummary> {
  const started = Date.now();
  await migrate(pool);
  const slot = await holdRunSlot(pool);
  try {
    return await runHoldingSlot(pool, options, slot.ownerPid, started);
  } finally {
    await slot.release();
  }
}

async function runHoldingSlot(
  pool: Pool,
  options: WarehouseRunOptions,
  ownerPid: number,
  started: number,
): Promise<WarehouseRunSummary> {
  const runId = await startRun(pool, {
    runId: options.runId ?? newRunId(),
    logicalDate: options.asOf,
    trigger: options.trigger,
    ownerPid,
  });
  const notify = options.onStep ?? (() => undefined);
  const step = async <T>(name: string, work: () => Promise<T>, rowsOf: (result: T) => number): Promise<T> => {
    notify({ step: name, status: 'started' });
    const stepStarted = Date.now();
    try {
      const wrapped = await recordStep(pool, runId, name, async () => {
        const result = await work();
        return { rowCount: rowsOf(result), details: result, result };
      });
      notify({
        step: name,
        status: 'succeeded',
        rows: wrapped.rowCount,
        durationMs: Date.now() - stepStarted,
      });
      return wrapped.result;
    } catch (error) {
      notify({
        step: name,
        status: 'failed',
        durationMs: Date.now() - stepStarted,
        error: (error as Error).message,
      });
      throw error;
    }
  };

  let asOf: string | null = null;
  try {
    const files = options.sources
      ? await step(
          'load_files',
          () => loadAll(pool, options.sources as Iterable<IngestSource>, runId, options),
          (r) => sumRows(r),
        )
      : [];
    const staging = await step(
      'stage_events',
      () => stageAllLoadedFiles(pool, { ...options.staging, runId }),
      (r) => r.staged,
    );
    const pending = await snapshotPendingDates(pool);
    const models: ModelResult[] = [];
    for (const group of CORE_MODEL_GROUPS) {
      // Fact models are split by date so that each uses both cores.
      const parts = group.flatMap((model) => {
        const shardCount = DATE_SHARDED_MODELS.includes(model) ? 2 : 1;
        return Array.from({ length: shardCount }, (_, shard) => ({ model, shard, shardCount }));
      });
      const built = await allSettledOrThrow(
        parts.map(({ model, shard, shardCount }) =>
          step(
            shardCount > 1 ? `build_${model}_${shard}` : `build_${model}`,
            () => buildCoreModel(pool, model, { shard, shardCount }),
            (r) => r.rows,
          ),
        ),
      );
      models.push(...mergeShards(built));
    }
    const scope = { runId, dates: pending.dates, fileIds: await filesStagedByRun(pool, runId) };
    const gate = (phase: QualityPhase) => async () => {
      const results = await runQualityChecks(pool, scope, phase);
      assertQualityGate(results);
      return results;
    };
    // The core is checked before the views are refreshed, and nothing is published before both
    // checks pass: a failing run leaves what readers see as it was.
    const coreQuality = await step('quality_gate_core', gate('core'), (r) => r.length);
    asOf = await step(
      'set_as_of',
      () => setAnalyticsAsOf(pool, { asOf: options.asOf, runId }),
      () => 0,
    );
    const views = await allSettledOrThrow(
      ANALYTICS_VIEWS.map((view) =>
        step(
          `refresh_${view}`,
          () => refreshAnalyticsView(pool, view),
          (r) => r.rows,
        ),
      ),
    );
    const analyticsQuality = await step('quality_gate_analytics', gate('analytics'), (r) => r.length);
    const quality = [...coreQuality, ...analyticsQuality];
    const publication = await step(
      'publish',
      () => publishAnalytics(pool, { runId, dates: pending.dates }),
      (r) => r.rows,
    );
    await clearPendingDates(pool, pending);
    await finishRun(pool, runId, { status: 'succeeded', asOf });
    return {
      runId,
      asOf,
      files,
      staging,
      models,
      views,
      quality,
      publication,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    await finishRun(pool, runId, { status: 'failed', asOf, error: (error as Error).message }).catch(
      () => undefined,
    );
    throw error;
  }
}

async function loadAll(
  pool: Pool,
  sources: Iterable<IngestSource> | AsyncIterable<IngestSource>,
  runId: string,
  options: WarehouseRunOptions,
): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  const iterator = (
    Symbol.asyncIterator in sources
      ? sources[Symbol.asyncIterator]()
      : (sources as Iterable<IngestSource>)[Symbol.iterator]()
  ) as AsyncIterator<IngestSource> | Iterator<IngestSource>;
  // Two COPY streams keep the server busy on both cores; more only contend.
  const worker = async (): Promise<void> => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const result = await ingestFile(pool, next.value, { runId });
      results.push(result);
      options.onFileLoaded?.(result);
    }
  };
  await Promise.all(Array.from({ length: options.ingestConcurrency ?? 2 }, worker));
  return results;
}

function mergeShards(results: ModelResult[]): ModelResult[] {
  const byModel = new Map<string, ModelResult>();
  for (const result of results) {
    const seen = byModel.get(result.model);
    byModel.set(
      result.model,
      seen
        ? {
            model: result.model,
            dates: seen.dates + result.dates,
            rows: seen.rows + result.rows,
            rejectedByDatabase: (seen.rejectedByDatabase ?? 0) + (result.rejectedByDatabase ?? 0),
          }
        : result,
    );
  }
  return [...byModel.values()];
}

function sumRows(results: IngestResult[]): number {
  return results.reduce((total, result) => total + result.rows, 0);
}
