import { stepNameOf, type ViewTask } from '../plan';
import { ANALYTICS_VIEWS, type AnalyticsView, refreshAnalyticsView } from '../warehouse/analytics';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';
import { lambdaHandler } from './telemetry';

/** Refreshes one analytics view in analytics_build, for the checks and then the publication. */
export function createRefreshViewHandler(deps: HandlerDependencies) {
  return async (input: { runId: string; view: string }): Promise<{ view: AnalyticsView; rows: number }> => {
    const runId = expectString(input, 'runId');
    const view = expectString(input, 'view') as AnalyticsView;
    if (!ANALYTICS_VIEWS.includes(view))
      throw new TypeError(`Unknown analytics view "${view}"; expected one of ${ANALYTICS_VIEWS.join(', ')}`);
    const pool = await deps.pool();
    return runStep(
      pool,
      runId,
      stepNameOf('refresh-view', (task) => (task as ViewTask).view === view),
      () => refreshAnalyticsView(pool, view),
      (result) => result.rows,
    );
  };
}

export const handler = lambdaHandler(createRefreshViewHandler(awsDependencies()));
