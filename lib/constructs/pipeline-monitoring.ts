import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type PipelineMetric } from '../../lambdas/observability';

export interface PipelineMonitoringProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly functions: lambda.IFunction[];
  /** The erasure step's function, alarmed on its own: a failed erasure is a person not forgotten. */
  readonly erasureFunction?: lambda.IFunction;
  /** @default no database alarms */
  readonly database?: rds.IDatabaseInstance;
  /** Subscribe this address to the alarms. @default none: subscribe later */
  readonly alarmEmail?: string;
}

/**
 * What tells a team the pipeline needs them: an encrypted SNS topic, alarms on failed or timed-out
 * executions, data-quality failures, no successful run in 26 hours, files waiting too long, files
 * rejected or failing to load, Lambda errors, and the database's CPU and storage; and a dashboard of
 * the same.
 */
export class PipelineMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: 'saas-analytics-pipeline alarms',
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.topic.topicArn,
      description: 'Subscribe to receive the pipeline alarms',
    });

    const machine = props.stateMachine;
    // The handlers write these without dimensions (lambdas/handlers/telemetry.ts).
    const custom = (metricName: PipelineMetric, statistic: string, period: Duration) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, statistic, period });
    const alarm = (
      name: string,
      description: string,
      options: cloudwatch.CreateAlarmOptions & { metric: cloudwatch.Metric | cloudwatch.MathExpression },
    ) => {
      const created = options.metric.createAlarm(this, name, { alarmDescription: description, ...options });
      created.addAlarmAction(new actions.SnsAction(this.topic));
      this.alarms.push(created);
      return created;
    };

    alarm('RunFailed', 'A pipeline execution failed', {
      metric: machine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('RunTimedOut', 'A pipeline execution timed out', {
      metric: machine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('NoSuccessfulRun', 'No pipeline run has succeeded for 26 hours: the analytics are stale', {
      metric: machine.metricSucceeded({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 26,
      datapointsToAlarm: 26,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    alarm('DataQualityFailed', 'An error-level data-quality check failed', {
      metric: custom('QualityChecksFailed', 'Sum', Duration.minutes(5)),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('FilesWaiting', 'A landing file has waited more than 26 hours to be loaded', {
      metric: custom('OldestWaitingFileAgeSeconds', 'Maximum', Duration.hours(1)),
      threshold: 26 * 3600,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // A rejected file can never load (damaged, not text, refused by the database): one is enough to
    // tell the producer. One alarm a day at most.
    alarm('FilesRejected', 'A landing file was rejected: it can never load; see ops.rejected_files', {
      metric: custom('FilesRejected', 'Sum', Duration.days(1)),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // A file that fails for a passing reason is tried again next run and rejected after three: three
    // days in a row of such failures is no longer passing. A day without a run breaks the streak; the
    // stale-analytics alarm covers that.
    alarm('FilesFailingToLoad', 'Landing files have failed to load on each of the last 3 days', {
      metric: custom('FilesFailedToLoad', 'Maximum', Duration.days(1)),
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // A person asked to be forgotten and is not yet: the request was rejected or the step failed.
    // Apart from FunctionErrors, which an alarm's ten metrics could not hold with it.
    if (props.erasureFunction)
      alarm(
        'ErasureFailed',
        'An erasure request was rejected or failed: see "Erasure requests" in saas-pipeline status',
        {
          metric: new cloudwatch.MathExpression({
            expression: 'FILL(errors, 0) + FILL(rejected, 0)',
            usingMetrics: {
              errors: props.erasureFunction.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
              rejected: custom('ErasureRequestsRejected', 'Sum', Duration.hours(1)),
            },
            label: 'Erasure requests rejected, and erasure step errors',
            period: Duration.hours(1),
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      );
    // Retried transient errors also count here; three in 15 minutes is more than a blip.
    alarm('FunctionErrors', 'Pipeline functions are failing', {
      metric: new cloudwatch.MathExpression({
        expression: props.functions.map((_, i) => `e${i}`).join(' + '),
        usingMetrics: Object.fromEntries(
          props.functions.map((fn, i) => [
            `e${i}`,
            fn.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
          ]),
        ),
        label: 'Errors, all pipeline functions',
        period: Duration.minutes(15),
      }),
      threshold: 3,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.database) {
      alarm('DatabaseCpu', 'The warehouse database CPU has stayed above 80% for 15 minutes', {
        metric: props.database.metricCPUUtilization({ period: Duration.minutes(5) }),
        threshold: 80,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
      alarm('DatabaseStorage', 'The warehouse database has less than 5 GB of free storage', {
        metric: props.database.metricFreeStorageSpace({ period: Duration.minutes(5) }),
        threshold: 5 * 1024 ** 3,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      });
    }

    new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Runs',
            left: [
              machine.metricSucceeded({ statistic: 'Sum' }),
              machine.metricFailed({ statistic: 'Sum' }),
              machine.metricTimedOut({ statistic: 'Sum' }),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Run duration',
            left: [machine.metricTime({ statistic: 'Maximum' })],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Data quality and landing',
            left: [custom('QualityChecksFailed', 'Sum', Duration.hours(1))],
            right: [custom('OldestWaitingFileAgeSeconds', 'Maximum', Duration.hours(1))],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function errors and duration',
            left: props.functions.map((fn) => fn.metricErrors({ statistic: 'Sum' })),
            right: props.functions.map((fn) => fn.metricDuration({ statistic: 'Maximum' })),
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Files rejected and failing to load, by day',
            left: [
              custom('FilesRejected', 'Sum', Duration.days(1)).with({ label: 'Rejected (can never load)' }),
              custom('FilesFailedToLoad', 'Maximum', Duration.days(1)).with({
                label: 'Failed to load, retried next run (most in one run)',
              }),
            ],
            width: 24,
          }),
        ],
        ...(props.database
          ? [
              [
                new cloudwatch.GraphWidget({
                  title: 'Database',
                  left: [props.database.metricCPUUtilization()],
                  right: [props.database.metricFreeStorageSpace()],
                  width: 24,
                }),
              ],
            ]
          : []),
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
