import { snapshotPendingDates } from '../warehouse/runs';
import { stageLoadedFiles, type StageResult } from '../warehouse/transform';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';

export interface StageOutput extends StageResult {
  /** The dates the core steps will rebuild, and when they were read: the run clears only these. */
  readonly dates: string[];
  readonly datesReadAt: string;
}

/** Stages every loaded file (in parallel shards) and snapshots the dates that need rebuilding. */
export function createStageEventsHandler(deps: HandlerDependencies) {
  return async (input: { runId: string }): Promise<StageOutput> => {
    const runId = expectString(input, 'runId');
    const pool = await deps.pool();
    return runStep(
      pool,
      runId,
      'stage_events',
      async () => {
        const staging = await stageLoadedFiles(pool);
        const pending = await snapshotPendingDates(pool);
        return { ...staging, dates: pending.dates, datesReadAt: pending.readAt.toISOString() };
      },
      (result) => result.staged,
    );
  };
}

export const handler = createStageEventsHandler(awsDependencies());
