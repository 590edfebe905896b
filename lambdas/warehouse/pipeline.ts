import { checkTimeZone, configuredTimeZone } from './time-zone';
import {
  type AnalyticsView,
  type Publication,
  publishAnalytics,
  publishedAsOfIfNothingNew,
  refreshAnalyticsView,
  setAnalyticsAsOf,
} from './analytics';
import { allSettledOrThrow } from './bulk';
import {
  ANALYTICS_VIEWS,
  CORE_MODELS,
  type ModelTask,
  PIPELINE_PLAN,
  type PlanTask,
  type QualityTask,
  type ViewTask,
} from '../plan';
import { buildCoreModel, type ModelResult } from './core';
import type { Pool } from './db';
import { type IngestResult, type IngestSource, ingestFile } from './ingest';
import { migrate } from './migrate';
import { assertQualityGate, filesStagedByRun, type QualityResult, runQualityChecks } from './quality';
import {
  clearPendingDates,
  finishRun,
  holdRunSlot,
  newRunId,
  type PendingDates,
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
  /** The reporting time zone; default REPORTING_TIME_ZONE, else UTC (lambdas/warehouse/time-zone.ts). */
  readonly timeZone?: string;
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
  await checkTimeZone(pool, options.timeZone ?? configuredTimeZone());
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
  const files: IngestResult[] = [];
  let staging: StageResult | undefined;
  let pending: PendingDates | undefined;
  const models: ModelResult[] = [];
  const views: { view: AnalyticsView; rows: number }[] = [];
  const quality: QualityResult[] = [];
  let publication: Publication | undefined;
  const datesOf = (): string[] => {
    if (!pending) throw new Error('The plan builds the core before it has staged');
    return pending.dates;
  };
  // Each task of the plan as this process runs it; the state machine runs the same tasks as Lambda steps.
  const runTask = async (task: PlanTask): Promise<void> => {
    switch (task.handler) {
      // The run is started before the plan and finished after it; files come from the caller, not a listing.
      case 'start-run':
      case 'finish-run':
      case 'list-new-files':
        return;
      case 'build-model': {
        const { model, shard, shardCount, step: name } = task as ModelTask;
        models.push(
          await step(
            name,
            () => buildCoreModel(pool, model, { shard, shardCount }),
            (r) => r.rows,
          ),
        );
        return;
      }
      case 'check-quality': {
        const { phase, step: name } = task as QualityTask;
        const scope = { runId, dates: datesOf(), fileIds: await filesStagedByRun(pool, runId) };
        const gate = async () => {
          const results = await runQualityChecks(pool, scope, phase);
          assertQualityGate(results);
          return results;
        };
        quality.push(...(await step(name, gate, (r) => r.length)));
        return;
      }
      case 'set-as-of':
        asOf = await step(
          task.step as string,
          () => setAnalyticsAsOf(pool, { asOf: options.asOf, runId }),
          () => 0,
        );
        return;
      case 'refresh-view': {
        const { view, step: name } = task as ViewTask;
        views.push(
          await step(
            name,
            () => refreshAnalyticsView(pool, view),
            (r) => r.rows,
          ),
        );
        return;
      }
      case 'publish':
        publication = await step(
          task.step as string,
          () => publishAnalytics(pool, { runId, dates: datesOf() }),
          (r) => r.rows,
        );
        return;
      case 'load-file':
      case 'stage-events':
        throw new Error(`${task.handler} runs as its own kind of stage`);
    }
  };
  try {
    for (const stage of PIPELINE_PLAN) {
      if (publication) break;
      switch (stage.kind) {
        case 'single':
          await runTask(stage.task);
          break;
        case 'each-file':
          if (options.sources)
            files.push(
              ...(await step(
                'load_files',
                () => loadAll(pool, options.sources as Iterable<IngestSource>, runId, options),
                (r) => sumRows(r),
              )),
            );
          break;
        case 'until-done': {
          // One call drains every batch here; the state machine loops over bounded batches instead.
          staging = await step(
            stage.task.step,
            () => stageAllLoadedFiles(pool, { ...options.staging, runId }),
            (r) => r.staged,
          );
          pending = await snapshotPendingDates(pool);
          // Nothing new: on to finishing the run, as the state machine goes from its choice to Finish run.
          const published = await publishedAsOfIfNothingNew(pool, {
            filesStaged: staging.files,
            pendingDates: pending.dates,
            asOf: options.asOf ?? null,
          });
          if (published !== null) {
            asOf = published;
            publication = { asOf: published, rows: 0 };
          }
          break;
        }
        case 'loop':
          // In-process, the caller gives every file at once: there is no second round to list.
          break;
        case 'parallel':
          await allSettledOrThrow(stage.tasks.map(runTask));
          break;
      }
    }
    if (!staging || !pending || !publication) throw new Error('The plan ended before it published');
    await clearPendingDates(pool, pending);
    await finishRun(pool, runId, { status: 'succeeded', asOf });
    return {
      runId,
      asOf,
      files,
      staging,
      // In plan order, whichever task of a group finished first.
      models: mergeShards(models).sort((a, b) => CORE_MODELS.indexOf(a.model) - CORE_MODELS.indexOf(b.model)),
      views: views.sort((a, b) => ANALYTICS_VIEWS.indexOf(a.view) - ANALYTICS_VIEWS.indexOf(b.view)),
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
