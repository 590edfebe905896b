import { stepNameOf } from '../plan';
import { publishAnalytics, type Publication } from '../warehouse/analytics';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';
import { lambdaHandler } from './telemetry';

/**
 * Publishes what the run built once every check passed: the analytics views and the star schema for
 * its dates become what readers see, with the as-of date, in one transaction.
 */
export function createPublishHandler(deps: HandlerDependencies) {
  return async (input: { runId: string; dates?: string[] }): Promise<Publication> => {
    const runId = expectString(input, 'runId');
    if (!Array.isArray(input.dates) || input.dates.some((date) => typeof date !== 'string'))
      throw new TypeError(`Input field "dates" must be a list of dates, got ${JSON.stringify(input.dates)}`);
    const pool = await deps.pool();
    return runStep(
      pool,
      runId,
      stepNameOf('publish'),
      () => publishAnalytics(pool, { runId, dates: input.dates as string[] }),
      (result) => result.rows,
    );
  };
}

export const handler = lambdaHandler(createPublishHandler(awsDependencies()));
