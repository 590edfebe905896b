import { stepNameOf } from '../plan';
import { publishedAsOfIfNothingNew } from '../warehouse/analytics';
import { snapshotPendingDates } from '../warehouse/runs';
import { stageLoadedFiles, type StageResult } from '../warehouse/staging';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { fullIpAddresses, minEventTimestamp, stagingBatchLimits } from './settings';
import { expectString, runStep } from './step';
import { lambdaHandler } from './telemetry';

/** A run stages at most this many batches; files still waiting are the next run's. */
export const MAX_STAGING_BATCHES_PER_RUN = 20;

export interface StageOutput extends StageResult {
  /** Stage again: loaded files wait and this run may take another batch. */
  readonly moreToStage: boolean;
  /** The dates the core steps will rebuild, and when they were read: the run clears only these. */
  readonly dates: string[];
  readonly datesReadAt: string;
  /**
   * No file staged, no date pending, and readers already see what this run would publish: the run
   * goes straight to Finish run, keeping publishedAsOf (publishedAsOfIfNothingNew).
   */
  readonly upToDate: boolean;
  readonly publishedAsOf: string | null;
}

/**
 * Stages one batch of loaded files (bounded in lines and bytes, in parallel shards) and snapshots
 * the dates that need rebuilding. The state machine calls it again while `moreToStage`, so a backlog
 * of any size drains batch by batch and no call's work grows with it.
 */
export function createStageEventsHandler(deps: HandlerDependencies) {
  return async (input: { runId: string; asOf?: string | null }): Promise<StageOutput> => {
    const runId = expectString(input, 'runId');
    const pool = await deps.pool();
    const step = stepNameOf('stage-events');
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::integer as n from ops.run_steps where run_id = $1 and step_name like $2 || '%'`,
      [runId, step],
    );
    const batch = (rows[0]?.n ?? 0) + 1;
    return runStep(
      pool,
      runId,
      batch === 1 ? step : `${step} #${batch}`,
      async () => {
        const staging = await stageLoadedFiles(pool, {
          runId,
          minEventTimestamp: minEventTimestamp(),
          fullIpAddresses: fullIpAddresses(),
          batchLimits: stagingBatchLimits(),
        });
        const pending = await snapshotPendingDates(pool);
        // A batch after the first comes only when files were waiting, so it stages some.
        const publishedAsOf = await publishedAsOfIfNothingNew(pool, {
          filesStaged: staging.files,
          pendingDates: pending.dates,
          asOf: input.asOf ?? null,
        });
        return {
          ...staging,
          moreToStage: staging.filesWaiting > 0 && batch < MAX_STAGING_BATCHES_PER_RUN,
          dates: pending.dates,
          datesReadAt: pending.readAt.toISOString(),
          upToDate: publishedAsOf !== null,
          publishedAsOf,
        };
      },
      (result) => result.staged,
    );
  };
}

export const handler = lambdaHandler(createStageEventsHandler(awsDependencies()));
