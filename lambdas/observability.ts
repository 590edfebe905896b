/**
 * The names the handlers write their logs and metrics under and the CDK app reads them by: the
 * service, and the metrics the alarms watch (lib/constructs/pipeline-monitoring.ts). No imports, so
 * that the CDK app takes the names without loading Powertools or handler code.
 */

/** The service name on every log line (POWERTOOLS_SERVICE_NAME in the functions' environment). */
export const SERVICE_NAME = 'saas-pipeline';

/** The CloudWatch namespace of the pipeline's own metrics. */
export const METRICS_NAMESPACE = 'SaasAnalyticsPipeline';

/**
 * Each metric with the unit it is written in. None has a dimension: the alarms read each one by its
 * name alone, in this namespace.
 */
export const PIPELINE_METRICS = {
  /** Error-level data-quality checks that failed in one gate. */
  QualityChecksFailed: { unit: 'Count' },
  /** How long the oldest landing file not yet loaded has waited. */
  OldestWaitingFileAgeSeconds: { unit: 'Seconds' },
  /** A landing file rejected: it can never load. */
  FilesRejected: { unit: 'Count' },
  /** Files of one run that failed to load this time and are tried again next run. */
  FilesFailedToLoad: { unit: 'Count' },
  /** Erasure requests rejected in one run: a person asked to be forgotten is not, yet. */
  ErasureRequestsRejected: { unit: 'Count' },
} as const;

export type PipelineMetric = keyof typeof PIPELINE_METRICS;
