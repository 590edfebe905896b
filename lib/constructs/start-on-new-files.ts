import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PipelineFunction } from './pipeline-function';

export interface StartOnNewFilesProps {
  readonly landingBucket: s3.IBucket;
  /** The landing prefixes whose new objects start a run. */
  readonly prefixes: readonly string[];
  readonly stateMachine: sfn.IStateMachine;
  /** How long the queue gathers new files before starting a run. @default 5 minutes (the most Lambda allows) */
  readonly debounce?: Duration;
}

/**
 * Optional (`-c startOnNewFiles=true`): a run starts soon after files land instead of at 02:00.
 * Object-created events queue up; a function takes them in batches gathered for up to five minutes and
 * starts one run per batch, or, while a run is going, hands the batch back for later.
 */
export class StartOnNewFiles extends Construct {
  constructor(scope: Construct, id: string, props: StartOnNewFilesProps) {
    super(scope, id);
    const deadLetters = new sqs.Queue(this, 'Undelivered', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new sqs.Queue(this, 'NewFiles', {
      visibilityTimeout: Duration.minutes(10),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A batch handed back while runs go on is tried again for a day, then kept for inspection.
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 150 },
    });
    new events.Rule(this, 'FileLanded', {
      description: 'Queues the landing of a new event file',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.landingBucket.bucketName] },
          object: { key: props.prefixes.map((prefix) => ({ prefix })) },
        },
      },
      targets: [new targets.SqsQueue(queue)],
    });
    const starter = new PipelineFunction(this, 'Start', {
      handlerFile: 'start-on-new-files',
      description: 'Start a pipeline run for a batch of newly landed files',
      timeout: Duration.minutes(1),
      memorySize: 256,
    });
    starter.addEnvironment('STATE_MACHINE_ARN', props.stateMachine.stateMachineArn);
    props.stateMachine.grantStartExecution(starter);
    // Only the listing it needs to see whether a run is going, not the machine's whole read grant.
    starter.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:ListExecutions'],
        resources: [props.stateMachine.stateMachineArn],
      }),
    );
    starter.addEventSource(
      new SqsEventSource(queue, {
        batchSize: 1000,
        maxBatchingWindow: props.debounce ?? Duration.minutes(5),
        maxConcurrency: 2,
      }),
    );
  }
}
