import { capturedOutput } from '../../support/output';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Context } from 'aws-lambda';
import { createCheckQualityHandler } from '../../../lambdas/handlers/check-quality';
import type { HandlerDependencies } from '../../../lambdas/handlers/dependencies';
import { createFinishRunHandler } from '../../../lambdas/handlers/finish-run';
import { createListNewFilesHandler } from '../../../lambdas/handlers/list-new-files';
import { createLoadFileHandler } from '../../../lambdas/handlers/load-file';
import { lambdaHandler, logger } from '../../../lambdas/handlers/telemetry';
import { PIPELINE_METRICS, SERVICE_NAME } from '../../../lambdas/observability';
import { PipelineStack } from '../../../lib/stacks/pipeline-stack';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { POISON_FILES } from '../../support/poison';

// What the handlers print, read back as CloudWatch would: JSON log lines and embedded-metric-format
// (EMF) lines. The metrics are checked against the alarms of the synthesized stack, which is what
// keeps the two in step. S3 is a stand-in here (test/lambdas/handlers/list-new-files.test.ts says why).
const png = (): Buffer => {
  const file = POISON_FILES.find((poison) => poison.rejectReason === 'not_text');
  if (!file) throw new Error('test/support/poison.ts has no file that is not text');
  return file.bytes();
};
const KEY = 'events/dt=2024-01-01/image.ndjson';
const RUN = 'run-telemetry';

const s3: S3Client = {
  async send(command: { constructor: { name: string } }) {
    if (command.constructor.name === 'ListObjectsV2Command')
      return {
        Contents: [
          {
            Key: KEY,
            ETag: '"png"',
            Size: png().length,
            LastModified: new Date(Date.now() - 7_200_000),
          },
        ],
      };
    return { ETag: '"png"', ContentLength: png().length, Body: Readable.from([png()]) };
  },
} as unknown as S3Client;

let db: TestDatabase;
let deps: HandlerDependencies;
let template: Template;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`insert into ops.runs (run_id, status) values ($1, 'running')`, [RUN]);
  deps = {
    pool: async () => db.pool,
    s3: () => s3,
    landing: { bucket: 'landing', prefixes: ['events/', 'segment-logs/'] },
  };
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  template = Template.fromStack(new PipelineStack(app, 'Test'));
});
afterAll(() => db.drop());
afterEach(() => logger.setLogLevel('SILENT'));

function context(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'Test-LoadFile',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:111111111111:function:Test-LoadFile',
    memoryLimitInMB: '1024',
  } as Context;
}

/** Everything `work` writes to stdout and stderr, one parsed JSON object a line. */
async function printed(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  return (await capturedOutput(work))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

interface Emf {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
}
const isEmf = (line: Record<string, unknown>): line is Record<string, unknown> & Emf => '_aws' in line;

// First, while the logger is at its default outside Lambda: this is what the CLI's terminal sees.
test('run as the local runner runs them (no Lambda), the handlers print nothing: no logs, no metrics', async () => {
  const lines = await printed(async () => {
    await createListNewFilesHandler(deps)({ runId: RUN });
    await createCheckQualityHandler(deps)({ runId: RUN, phase: 'core', dates: [] });
  });
  expect(lines).toEqual([]);
});

test('the metrics the handlers write are the ones the alarms read: namespace, names, units, no dimensions', async () => {
  const invocations = [
    () => lambdaHandler(createListNewFilesHandler(deps))({ runId: RUN }, context('req-list')),
    () =>
      lambdaHandler(createLoadFileHandler(deps))({ runId: RUN, key: KEY, etag: 'png' }, context('req-load')),
    () =>
      lambdaHandler(createCheckQualityHandler(deps))(
        { runId: RUN, phase: 'core', dates: [] },
        context('req-qc'),
      ),
    () =>
      lambdaHandler(createFinishRunHandler(deps))({ runId: RUN, status: 'succeeded' }, context('req-finish')),
  ];
  const written = new Map<
    string,
    { namespace: string; unit: string; dimensions: string[][]; value: unknown }
  >();
  for (const invoke of invocations) {
    // Each invocation flushes its own metrics, in one EMF line.
    const emf = (await printed(invoke)).filter(isEmf);
    expect(emf).toHaveLength(1);
    for (const line of emf)
      for (const directive of line._aws.CloudWatchMetrics)
        for (const metric of directive.Metrics)
          written.set(metric.Name, {
            namespace: directive.Namespace,
            unit: metric.Unit,
            dimensions: directive.Dimensions,
            value: line[metric.Name],
          });
  }
  expect(written.get('FilesRejected')?.value).toBe(1);
  expect(written.get('FilesFailedToLoad')?.value).toBe(0);
  expect(written.get('QualityChecksFailed')?.value).toBe(0);
  // One value: what the local runs recorded before was dropped, not kept for this flush.
  expect(written.get('OldestWaitingFileAgeSeconds')?.value).toBeGreaterThanOrEqual(7_200);

  // The alarms on the pipeline's own metrics (not the AWS/ ones) read exactly these.
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
    .map((alarm) => alarm.Properties as { Namespace?: string; MetricName: string; Dimensions?: unknown })
    .filter((alarm) => alarm.Namespace !== undefined && !alarm.Namespace.startsWith('AWS/'));
  expect(alarms.map((alarm) => alarm.MetricName).sort()).toEqual([...written.keys()].sort());
  for (const alarm of alarms) {
    const metric = written.get(alarm.MetricName);
    expect(metric?.namespace).toBe(alarm.Namespace);
    // An alarm without dimensions reads the metric written with the one empty dimension set.
    expect(alarm.Dimensions).toBeUndefined();
    expect(metric?.dimensions).toEqual([[]]);
    expect(metric?.unit).toBe(PIPELINE_METRICS[alarm.MetricName as keyof typeof PIPELINE_METRICS].unit);
  }
});

test('every log line of an invocation has the service, the request id and the run id, and the next invocation none of them', async () => {
  logger.setLogLevel('INFO');
  const failing = lambdaHandler(async (_event: { runId: string }) => {
    logger.info('about to fail');
    throw new Error('boom');
  });
  const withoutRun = lambdaHandler(async (_event: { Records: unknown[] }) => logger.info('no run here'));
  const lines = [
    ...(await printed(() =>
      lambdaHandler(createListNewFilesHandler(deps))({ runId: RUN }, context('req-1')),
    )),
    ...(await printed(() => failing({ runId: 'run-that-fails' }, context('req-2')))),
    ...(await printed(() => withoutRun({ Records: [] }, context('req-3')))),
  ].filter((line) => !isEmf(line));

  const list = lines.filter((line) => line.function_request_id === 'req-1');
  expect(list.map((line) => line.message)).toEqual(['step started', 'step succeeded']);
  for (const line of list)
    expect(line).toMatchObject({ level: 'INFO', service: SERVICE_NAME, runId: RUN, step: 'list_new_files' });
  expect(lines.find((line) => line.function_request_id === 'req-2')).toMatchObject({
    runId: 'run-that-fails',
  });
  // A failed invocation does not leave its run id behind either.
  const last = lines.find((line) => line.function_request_id === 'req-3');
  expect(last).toMatchObject({ message: 'no run here', service: SERVICE_NAME });
  expect(last).not.toHaveProperty('runId');
});

test('the functions log at the level their environment gives, under the one service name', () => {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(
    (fn) => (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables,
  );
  expect(functions.length).toBeGreaterThan(0);
  for (const variables of functions)
    expect(variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: SERVICE_NAME, POWERTOOLS_LOG_LEVEL: 'INFO' });
});
