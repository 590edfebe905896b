import { stepNameOf } from '../plan';
import { setAnalyticsAsOf } from '../warehouse/analytics';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';
import { lambdaHandler } from './telemetry';

/** Fixes the logical date the analytics views are computed as of: the run's, else the latest event date. */
export function createSetAsOfHandler(deps: HandlerDependencies) {
  return async (input: { runId: string; asOf?: string | null }): Promise<{ asOf: string | null }> => {
    const runId = expectString(input, 'runId');
    const pool = await deps.pool();
    const asOf = await runStep(
      pool,
      runId,
      stepNameOf('set-as-of'),
      () => setAnalyticsAsOf(pool, { asOf: input.asOf ?? undefined, runId }),
      () => 0,
    );
    return { asOf };
  };
}

export const handler = lambdaHandler(createSetAsOfHandler(awsDependencies()));
