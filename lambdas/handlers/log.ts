/**
 * Structured logs: one JSON object a line, with the service name and the run id, which CloudWatch
 * Logs Insights can filter. Written only inside Lambda; the local CLI shows its own progress instead.
 */
export function logStep(
  level: 'INFO' | 'ERROR',
  runId: string,
  step: string,
  message: string,
  fields: Record<string, unknown> = {},
): void {
  if (!process.env.AWS_LAMBDA_FUNCTION_NAME) return;
  const line = {
    timestamp: new Date().toISOString(),
    level,
    service: process.env.SERVICE_NAME ?? 'saas-pipeline',
    runId,
    step,
    message,
    ...fields,
  };
  (level === 'ERROR' ? console.error : console.log)(JSON.stringify(line));
}

/** The CloudWatch namespace of the pipeline's own metrics. */
export const METRICS_NAMESPACE = 'SaasAnalyticsPipeline';

/**
 * A CloudWatch metric, written as an embedded-metric-format log line: no API call, no extra
 * permission. Only inside Lambda, like the logs.
 */
export function emitMetric(name: string, value: number, unit: 'Count' | 'Seconds' | 'None' = 'Count'): void {
  if (!process.env.AWS_LAMBDA_FUNCTION_NAME) return;
  console.log(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          { Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: name, Unit: unit }] },
        ],
      },
      [name]: value,
    }),
  );
}
