import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  createStartOnNewFilesHandler,
  RunAlreadyRunningError,
} from '../../../lambdas/handlers/start-on-new-files';

// Step Functions itself cannot run here: the client is a stand-in that answers as the service does.
function fakeStepFunctions(running: number) {
  const started: unknown[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      if (command.constructor.name === 'ListExecutionsCommand')
        return { executions: Array.from({ length: running }, () => ({})) };
      started.push(command.input);
      return { executionArn: 'arn:aws:states:eu-central-1:111111111111:execution:pipeline:new-files-1' };
    },
  } as unknown as Pick<SFNClient, 'send'>;
  return { client, started };
}

const ARN = 'arn:aws:states:eu-central-1:111111111111:stateMachine:pipeline';

test('a batch of new files starts one run', async () => {
  const { client, started } = fakeStepFunctions(0);
  const result = await createStartOnNewFilesHandler(client, () => ARN)({ Records: [{}, {}, {}] });
  expect(result.started).toMatch(/execution/);
  expect(started).toEqual([{ stateMachineArn: ARN, input: JSON.stringify({ trigger: 'new-files' }) }]);
});

test('while a run is going, the batch is handed back to the queue for later', async () => {
  const { client, started } = fakeStepFunctions(1);
  await expect(createStartOnNewFilesHandler(client, () => ARN)({ Records: [{}] })).rejects.toThrow(
    RunAlreadyRunningError,
  );
  expect(started).toEqual([]);
});
