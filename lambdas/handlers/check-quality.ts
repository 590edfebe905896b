import { type QualityTask, stepNameOf } from '../plan';
import {
  assertQualityGate,
  filesStagedByRun,
  type QualityPhase,
  type QualityResult,
  runQualityChecks,
} from '../warehouse/quality';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectString, runStep } from './step';
import { lambdaHandler, recordMetric } from './telemetry';

export interface CheckQualityInput {
  readonly runId: string;
  readonly phase: QualityPhase;
  readonly dates: string[];
}

/** Runs one phase of the data-quality gate; an error-level failure fails the step (QualityGateError). */
export function createCheckQualityHandler(deps: HandlerDependencies) {
  return async (input: CheckQualityInput): Promise<{ checks: number; warnings: string[] }> => {
    const runId = expectString(input as unknown as Record<string, unknown>, 'runId');
    if (input.phase !== 'core' && input.phase !== 'analytics')
      throw new TypeError(`phase must be "core" or "analytics", got ${JSON.stringify(input.phase)}`);
    const pool = await deps.pool();
    const results: QualityResult[] = await runStep(
      pool,
      runId,
      stepNameOf('check-quality', (task) => (task as QualityTask).phase === input.phase),
      async () => {
        // The run's files are looked up, not passed: a backlog's list could outgrow the execution's state.
        const fileIds = await filesStagedByRun(pool, runId);
        const checked = await runQualityChecks(
          pool,
          { runId, dates: input.dates ?? [], fileIds },
          input.phase,
        );
        // The alarm on data quality counts error-level failures, whatever happens to the run.
        recordMetric(
          'QualityChecksFailed',
          checked.filter((r) => !r.passed && r.severity === 'error').length,
        );
        assertQualityGate(checked);
        return checked;
      },
      (checked) => checked.length,
    );
    return { checks: results.length, warnings: results.filter((r) => !r.passed).map((r) => r.name) };
  };
}

export const handler = lambdaHandler(createCheckQualityHandler(awsDependencies()));
