import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { requireEnv } from './dependencies';
import { lambdaHandler, logger } from './telemetry';

/** The part of an SQS batch this handler reads: how many new-file events it holds. */
export interface NewFilesBatch {
  readonly Records: readonly unknown[];
}

export class RunAlreadyRunningError extends Error {
  constructor() {
    super('A pipeline run is in progress; the new files wait for the queue to deliver them again');
    this.name = 'RunAlreadyRunningError';
  }
}

/**
 * Starts one run for a batch of new-file events (the queue gathers them for up to five minutes: the
 * debounce). If a run is already going, the batch fails and the queue delivers it again later, so
 * files that land during a run start the next one instead of colliding with it.
 */
export function createStartOnNewFilesHandler(client: Pick<SFNClient, 'send'>, stateMachineArn: () => string) {
  return async (batch: NewFilesBatch): Promise<{ started: string | null }> => {
    const arn = stateMachineArn();
    const running = await client.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING', maxResults: 1 }),
    );
    if ((running.executions ?? []).length > 0) throw new RunAlreadyRunningError();
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ trigger: 'new-files' }) }),
    );
    logger.info('run started', {
      runId: started.executionArn ?? '-',
      step: 'start_on_new_files',
      files: batch.Records.length,
    });
    return { started: started.executionArn ?? null };
  };
}

export const handler = lambdaHandler(
  createStartOnNewFilesHandler(
    // A silent connection fails the call (and the SDK retries it) rather than holding the function.
    new SFNClient({
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
    }),
    () => requireEnv('STATE_MACHINE_ARN'),
  ),
);
