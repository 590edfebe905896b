import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE, PIPELINE_METRICS, type PipelineMetric, SERVICE_NAME } from '../observability';

/**
 * Structured logs: one JSON object a line with the service name, the Lambda request id and the run
 * id, which CloudWatch Logs Insights can filter. The level comes from POWERTOOLS_LOG_LEVEL or
 * LOG_LEVEL (the functions have INFO). Outside Lambda, where the CLI runs these handlers in-process
 * and prints its own progress, the logs stay silent unless one of those variables asks for them.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
  // A level given here would win over the variables, so only the silent default is.
  logLevel:
    process.env.POWERTOOLS_LOG_LEVEL || process.env.LOG_LEVEL || process.env.AWS_LAMBDA_FUNCTION_NAME
      ? undefined
      : 'SILENT',
});

/**
 * The pipeline's CloudWatch metrics, written as embedded-metric-format lines: no API call, no extra
 * permission. The alarms read them without dimensions, so Powertools' default `service` dimension
 * is dropped.
 */
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });
metrics.clearDefaultDimensions();

/** Invocations under way that lambdaHandler will flush; metrics recorded outside one are dropped. */
let openInvocations = 0;

/**
 * Records one of the pipeline's metrics for the current invocation. Outside a Lambda invocation (the
 * local runner, the tests) nothing would publish it, and Powertools would print a full store on its
 * own into the CLI's output, so it is dropped, as before Powertools.
 */
export function recordMetric(name: PipelineMetric, value: number): void {
  if (openInvocations === 0) return;
  metrics.addMetric(name, PIPELINE_METRICS[name].unit, value);
}

function publishMetrics(): void {
  // An empty flush would log a warning on every invocation that recorded nothing.
  if (!metrics.hasStoredMetrics()) return;
  // With no dimension at all Powertools writes "Dimensions": [], which the EMF schema does not allow
  // (at least one dimension set), so CloudWatch would extract nothing. One empty set makes the
  // metric without dimensions that the alarms read.
  metrics.addDimensions({});
  metrics.publishStoredMetrics();
}

/** The run id of a step's input: `runId`, or for the first step the execution's name. */
function runIdOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const { runId, executionName } = event as { runId?: unknown; executionName?: unknown };
  if (typeof runId === 'string' && runId !== '') return runId;
  if (typeof executionName === 'string' && executionName !== '') return executionName;
  return undefined;
}

/**
 * The Lambda entry of a handler: every log line of the invocation carries the request id and the run
 * id, the metrics it recorded are flushed when it ends, failed or not, and nothing of it is left for
 * the next invocation of the same container.
 */
export function lambdaHandler<E, R>(
  handle: (event: E) => Promise<R>,
): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    const runId = runIdOf(event);
    if (runId !== undefined) logger.appendKeys({ runId });
    openInvocations += 1;
    try {
      return await handle(event);
    } finally {
      openInvocations -= 1;
      publishMetrics();
      logger.resetKeys();
    }
  };
}
