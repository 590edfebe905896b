import { clearPendingDates, finishRun, type RunFiles, summarizeRunFiles } from '../warehouse/runs';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { asStepError, expectString } from './step';
import { lambdaHandler, recordMetric } from './telemetry';

export interface FinishRunInput {
  readonly runId: string;
  readonly status: 'succeeded' | 'failed';
  readonly asOf?: string | null;
  readonly dates?: string[];
  readonly datesReadAt?: string;
  /** From a Catch: { Error, Cause }. */
  readonly error?: { Error?: string; Cause?: string } | null;
}

export interface FinishRunOutput {
  readonly runId: string;
  readonly status: string;
  readonly error: string | null;
  readonly files: RunFiles;
}

/**
 * Closes the run: on success the rebuilt dates stop being pending; on failure the run is recorded
 * as failed with the error, and its dates stay pending for the next run. Either way it reports the
 * files the run loaded, rejected or could not load, for the summary and the alarms.
 */
export function createFinishRunHandler(deps: HandlerDependencies) {
  return async (input: FinishRunInput): Promise<FinishRunOutput> => {
    const runId = expectString(input as unknown as Record<string, unknown>, 'runId');
    const error = input.error ? describeError(input.error) : null;
    try {
      const pool = await deps.pool();
      if (input.status === 'succeeded') {
        await clearPendingDates(pool, { dates: input.dates ?? [], readAt: new Date(input.datesReadAt ?? 0) });
        await finishRun(pool, runId, { status: 'succeeded', asOf: input.asOf ?? null });
      } else {
        await finishRun(pool, runId, {
          status: 'failed',
          asOf: input.asOf ?? null,
          error: error ?? 'unknown error',
        });
      }
      const files = await summarizeRunFiles(pool, runId);
      // Files that could not load this time are tried again next run; the alarm watches them.
      recordMetric('FilesFailedToLoad', files.failed);
      return { runId, status: input.status, error, files };
    } catch (failure) {
      throw asStepError(failure);
    }
  };
}

/** A Lambda error's Cause is a JSON text with errorMessage; a plain Cause is used as it is. */
function describeError(error: { Error?: string; Cause?: string }): string {
  let message = error.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (parsed.errorMessage) message = parsed.errorMessage;
  } catch {
    // not JSON: keep the text
  }
  return `${error.Error ?? 'Error'}: ${message}`.slice(0, 4000);
}

export const handler = lambdaHandler(createFinishRunHandler(awsDependencies()));
