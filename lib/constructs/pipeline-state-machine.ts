import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  FAILURE_PLAN,
  type ModelTask,
  PIPELINE_PLAN,
  type PlanStage,
  type PlanTask,
  type QualityTask,
  type StepHandler,
  type ViewTask,
} from '../../lambdas/plan';
import { PipelineFunction } from './pipeline-function';
import { LANDING_PREFIXES } from '../../lambdas/warehouse/source-format';

export interface PipelineStateMachineProps {
  readonly landingBucket: s3.IBucket;
  /** The key prefixes of the landing files, one per source format. @default LANDING_PREFIXES */
  readonly landingPrefixes?: readonly string[];
  /**
   * The loading steps' login (list-new-files, load-file), a member of saas_loader: a secret with the
   * JSON connection fields RDS writes (host, port, username, password, dbname).
   */
  readonly loaderSecret: secretsmanager.ISecret;
  /** Every other step's login, a member of saas_transformer; the same JSON. */
  readonly transformerSecret: secretsmanager.ISecret;
  /** The erasure step's login, a member of saas_eraser (the one role that deletes from raw); the same JSON. */
  readonly eraserSecret: secretsmanager.ISecret;
  /** @default no VPC */
  readonly vpc?: ec2.IVpc;
  /** @default the VPC's default selection */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default none */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Files loaded at once; each is one COPY stream on the database. @default 2 */
  readonly loadConcurrency?: number;
  /** Start a run every day at 02:00 UTC for yesterday. @default true */
  readonly dailySchedule?: boolean;
  /**
   * Events before this instant (a date, or an ISO-8601 instant with a zone) are quarantined as
   * timestamp_too_old: the stage function's MIN_EVENT_TIMESTAMP.
   * @default 2000-01-01T00:00:00Z (DEFAULT_MIN_EVENT_TIMESTAMP)
   */
  readonly minEventTimestamp?: string;
  /** Lines one staging batch takes at most: STAGING_BATCH_MAX_LINES. @default 5,000,000 */
  readonly stagingBatchMaxLines?: number;
  /** Keep IP addresses whole instead of their /24 (IPv4) or /48 (IPv6): FULL_IP_ADDRESSES. @default false */
  readonly fullIpAddresses?: boolean;
  /**
   * The IANA zone of every day, week and month (REPORTING_TIME_ZONE): Start run refuses a warehouse
   * built in another zone until `saas-pipeline time-zone ZONE` has moved it. @default UTC
   */
  readonly reportingTimeZone?: string;
}

/**
 * Transient failures worth retrying with back-off: the Lambda service itself, and TransientError, which
 * the handlers throw for a dropped database connection or a throttled or unavailable AWS API.
 */
const TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'TransientError',
];

/**
 * The pipeline's orchestration: its Lambda functions and the state machine that runs them. The same
 * definition is rendered and executed locally by local/state-machine.ts. The order of the states is
 * lambdas/plan.ts; this construct says only how each kind of step is wired.
 */
export class PipelineStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<StepHandler, PipelineFunction>;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const prefixes = props.landingPrefixes ?? LANDING_PREFIXES;
    const network = { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups };
    const fn = (handlerFile: StepHandler, description: string, timeout: Duration, memorySize = 1024) =>
      new PipelineFunction(this, pascal(handlerFile), {
        handlerFile,
        description,
        timeout,
        memorySize,
        ...network,
      });
    const loader = props.loaderSecret;
    const transformer = props.transformerSecret;
    this.functions = {
      'start-run': withSettings(
        fn(
          'start-run',
          'Check that the schema and the time zone are current and record a new run',
          Duration.minutes(2),
          512,
        ).bindDatabase(transformer),
        { REPORTING_TIME_ZONE: props.reportingTimeZone },
      ),
      'erase-requested': fn(
        'erase-requested',
        'Carry out the erasure requests under erasure-requests/ in the landing bucket',
        Duration.minutes(15),
      )
        .bindDatabase(props.eraserSecret)
        .bindErasureRequests(props.landingBucket),
      'list-new-files': fn('list-new-files', 'List landing files not loaded yet', Duration.minutes(2), 512)
        .bindDatabase(loader)
        .bindLandingBucket(props.landingBucket, prefixes),
      'load-file': fn('load-file', 'Stream one landing file into raw.events', Duration.minutes(15))
        .bindDatabase(loader)
        .bindLandingBucket(props.landingBucket, prefixes),
      'stage-events': withSettings(
        fn('stage-events', 'Type, validate and deduplicate loaded files', Duration.minutes(15)).bindDatabase(
          transformer,
        ),
        {
          MIN_EVENT_TIMESTAMP: props.minEventTimestamp,
          STAGING_BATCH_MAX_LINES: props.stagingBatchMaxLines,
          FULL_IP_ADDRESSES: props.fullIpAddresses ? 'on' : undefined,
        },
      ),
      'build-model': fn(
        'build-model',
        'Rebuild one core model for the pending dates',
        Duration.minutes(15),
      ).bindDatabase(transformer),
      'check-quality': fn(
        'check-quality',
        'Run one phase of the data-quality gate',
        Duration.minutes(10),
      ).bindDatabase(transformer),
      'set-as-of': fn(
        'set-as-of',
        'Fix the logical date of the analytics',
        Duration.minutes(1),
        256,
      ).bindDatabase(transformer),
      'refresh-view': fn(
        'refresh-view',
        'Refresh one analytics view for the run',
        Duration.minutes(10),
      ).bindDatabase(transformer),
      publish: fn(
        'publish',
        'Publish the checked analytics and star schema to readers',
        Duration.minutes(10),
      ).bindDatabase(transformer),
      'finish-run': fn(
        'finish-run',
        'Record the run as succeeded or failed',
        Duration.minutes(1),
        256,
      ).bindDatabase(transformer),
    };

    const task = (planned: PlanTask, override?: Wiring) => {
      const lambdaFunction = this.functions[planned.handler];
      const { payload, resultPath } = override ?? wiringOf(planned);
      const step = new tasks.LambdaInvoke(this, planned.state, {
        lambdaFunction,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        // The Retry below covers the Lambda service errors too, with this project's back-off.
        retryOnServiceExceptions: false,
        resultPath,
        // Longer than the function's own timeout, so that the function's error (with its logs) is the one reported.
        taskTimeout: sfn.Timeout.duration(
          (lambdaFunction.timeout ?? Duration.minutes(5)).plus(Duration.seconds(30)),
        ),
      });
      // Up to about three minutes of retries: long enough to ride out a Multi-AZ failover.
      step.addRetry({
        errors: TRANSIENT_ERRORS,
        interval: Duration.seconds(5),
        backoffRate: 2,
        maxAttempts: 6,
        maxDelay: Duration.seconds(60),
        jitterStrategy: sfn.JitterType.FULL,
      });
      return step;
    };

    const recordFailure = task(FAILURE_PLAN.record, {
      payload: { runId: RUN_ID, status: 'failed', error: sfn.JsonPath.objectAt('$.error') },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const failed = new sfn.Fail(this, FAILURE_PLAN.failState, {
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    // If even the failure cannot be recorded, the execution still ends failed with the original
    // cause; the execution-status rule below then records the run.
    recordFailure.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.recordFailureError' });
    recordFailure.next(failed);

    // Each stage of the plan becomes a state (or a state and the choice that loops back to it).
    const stageState = (
      stage: PlanStage,
    ): {
      first: sfn.State;
      then: (next: sfn.State) => void;
      /** For a stage that may end the run early: where it goes then. */
      finishWith?: (finish: sfn.State) => void;
    } => {
      switch (stage.kind) {
        case 'single': {
          const state = task(stage.task);
          return { first: state, then: (next) => state.next(next) };
        }
        case 'each-file': {
          const loadFile = task(stage.task);
          // A file that still fails after the retries is recorded in the ledger (and rejected after a
          // few runs): the Map goes on with the other files, and the run with what loaded.
          loadFile.addCatch(
            new sfn.Pass(this, stage.failedState, {
              parameters: { 'key.$': '$.key', status: 'failed', 'error.$': '$.error.Error' },
            }),
            { errors: ['States.ALL'], resultPath: '$.error' },
          );
          const map = new sfn.Map(this, stage.state, {
            itemsPath: '$.files.items',
            maxConcurrency: props.loadConcurrency ?? 2,
            itemSelector: {
              runId: RUN_ID,
              key: sfn.JsonPath.stringAt('$$.Map.Item.Value.key'),
              etag: sfn.JsonPath.stringAt('$$.Map.Item.Value.etag'),
            },
            resultSelector: { loaded: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$')) },
            resultPath: '$.loadedFiles',
          }).itemProcessor(loadFile);
          // The list and the per-file results leave the state here: only their counts go on, so a
          // long list cannot push the state past 256 KB in later steps.
          const loaded = new sfn.Pass(this, stage.loadedState, {
            parameters: {
              'loaded.$': '$.loadedFiles.loaded',
              'count.$': '$.files.count',
              'left.$': '$.files.left',
              'more.$': '$.files.more',
            },
            resultPath: '$.files',
          });
          map.next(loaded);
          return { first: map, then: (next) => loaded.next(next) };
        }
        case 'loop': {
          const choice = new sfn.Choice(this, stage.choiceState);
          return {
            first: choice,
            then: (next) =>
              choice
                .when(sfn.Condition.booleanEquals('$.files.more', true), taskState(stage.backTo))
                .otherwise(next),
          };
        }
        case 'until-done': {
          // One bounded batch a call: a backlog drains batch by batch, however large.
          const state = task(stage.task);
          const more = new sfn.Choice(this, stage.choiceState);
          state.next(more);
          // Nothing new: Finish run records the as-of date readers already see.
          const upToDate = new sfn.Pass(this, stage.upToDateState, {
            parameters: { 'asOf.$': '$.staging.publishedAsOf' },
            resultPath: '$.analytics',
          });
          return {
            first: state,
            then: (next) =>
              more
                .when(sfn.Condition.booleanEquals('$.staging.moreToStage', true), state)
                .when(sfn.Condition.booleanEquals('$.staging.upToDate', true), upToDate)
                .otherwise(next),
            finishWith: (finish) => upToDate.next(finish),
          };
        }
        case 'parallel': {
          const parallel = new sfn.Parallel(this, stage.state, { resultPath: sfn.JsonPath.DISCARD });
          for (const planned of stage.tasks) parallel.branch(task(planned));
          return { first: parallel, then: (next) => parallel.next(next) };
        }
      }
    };
    // The task states by name, for a loop to go back to.
    const byName = new Map<string, sfn.State>();
    const taskState = (name: string): sfn.State => {
      const state = byName.get(name);
      if (!state) throw new Error(`The plan loops back to ${name}, which comes after the loop`);
      return state;
    };
    const stages = PIPELINE_PLAN.map((stage) => {
      const built = stageState(stage);
      if (stage.kind === 'single') byName.set(stage.task.state, built.first);
      return built;
    });
    // Every stage after the run has started catches everything into Record failure (a choice has
    // nothing to catch).
    for (const { first } of stages.slice(1))
      if (!(first instanceof sfn.Choice))
        (first as sfn.TaskStateBase | sfn.Map | sfn.Parallel).addCatch(recordFailure, {
          errors: ['States.ALL'],
          resultPath: '$.error',
        });
    for (let i = 1; i < stages.length; i++) stages[i - 1]?.then((stages[i] as (typeof stages)[number]).first);
    const finish = (stages[stages.length - 1] as (typeof stages)[number]).first;
    for (const stage of stages) stage.finishWith?.(finish);
    const chain = sfn.Chain.start((stages[0] as (typeof stages)[number]).first);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: undefined,
      comment:
        'saas-analytics-pipeline: load new landing files, stage, build the star schema, refresh analytics, gate on data quality',
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'StateMachineLogs', {
          retention: logs.RetentionDays.THREE_MONTHS,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });

    // Whatever ends an execution without Record failure (a timeout, a stop, an uncatchable error such
    // as States.DataLimitExceeded) still closes its run: the run id is the execution's name.
    new events.Rule(this, 'RunEnded', {
      description: 'Records a pipeline run as failed when its execution fails, times out or is stopped',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [this.stateMachine.stateMachineArn],
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
      targets: [
        new targets.LambdaFunction(this.functions['finish-run'], {
          event: events.RuleTargetInput.fromObject({
            runId: events.EventField.fromPath('$.detail.name'),
            status: 'failed',
            error: {
              Error: `Execution${events.EventField.fromPath('$.detail.status')}`,
              Cause: 'the execution ended without recording its run',
            },
          }),
        }),
      ],
    });

    // The state machine's role may invoke its own functions, any version or alias of them.
    Validations.of(this.stateMachine).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions logging (logs:CreateLogDelivery and the like) and X-Ray trace writes have no resource-level permissions.',
      },
      ...Object.values(this.functions).map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason:
          'Step Functions invokes the pipeline functions by ARN; the :* covers their versions and aliases only.',
      })),
    );

    if (props.dailySchedule ?? true) {
      new events.Rule(this, 'DailyRun', {
        description: 'Runs the pipeline at 02:00 UTC with yesterday as the logical date',
        schedule: events.Schedule.cron({ minute: '0', hour: '2' }),
        targets: [
          new targets.SfnStateMachine(this.stateMachine, {
            input: events.RuleTargetInput.fromObject({ asOf: 'yesterday', trigger: 'schedule' }),
          }),
        ],
      });
    }
  }
}

const RUN_ID = sfn.JsonPath.stringAt('$.run.runId');
const PENDING_DATES = sfn.JsonPath.listAt('$.staging.dates');

/** What a task is given, and where in the state its result goes. */
interface Wiring {
  readonly payload: Record<string, unknown>;
  readonly resultPath: string | typeof sfn.JsonPath.DISCARD;
}

/** Each kind of step's input, taken from the execution's state, and where its result is kept. */
function wiringOf(planned: PlanTask): Wiring {
  switch (planned.handler) {
    case 'start-run':
      return {
        payload: {
          executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
          startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
          // The whole input, so that asOf and trigger may be left out of it.
          input: sfn.JsonPath.objectAt('$'),
        },
        resultPath: '$.run',
      };
    case 'erase-requested':
      return { payload: { runId: RUN_ID }, resultPath: '$.erasures' };
    case 'list-new-files':
      return { payload: { runId: RUN_ID }, resultPath: '$.files' };
    case 'load-file':
      // Inside the Map: each item carries its run id.
      return {
        payload: {
          runId: sfn.JsonPath.stringAt('$.runId'),
          key: sfn.JsonPath.stringAt('$.key'),
          etag: sfn.JsonPath.stringAt('$.etag'),
        },
        resultPath: '$',
      };
    case 'stage-events':
      return {
        payload: { runId: RUN_ID, asOf: sfn.JsonPath.stringAt('$.run.asOf') },
        resultPath: '$.staging',
      };
    case 'build-model': {
      const { model, shard, shardCount } = planned as ModelTask;
      return { payload: { runId: RUN_ID, model, shard, shardCount }, resultPath: sfn.JsonPath.DISCARD };
    }
    case 'check-quality':
      return {
        payload: { runId: RUN_ID, phase: (planned as QualityTask).phase, dates: PENDING_DATES },
        resultPath: sfn.JsonPath.DISCARD,
      };
    case 'set-as-of':
      return {
        payload: { runId: RUN_ID, asOf: sfn.JsonPath.stringAt('$.run.asOf') },
        resultPath: '$.analytics',
      };
    case 'refresh-view':
      return {
        payload: { runId: RUN_ID, view: (planned as ViewTask).view },
        resultPath: sfn.JsonPath.DISCARD,
      };
    case 'publish':
      return { payload: { runId: RUN_ID, dates: PENDING_DATES }, resultPath: '$.publication' };
    case 'finish-run':
      return {
        payload: {
          runId: RUN_ID,
          status: 'succeeded',
          asOf: sfn.JsonPath.stringAt('$.analytics.asOf'),
          dates: PENDING_DATES,
          datesReadAt: sfn.JsonPath.stringAt('$.staging.datesReadAt'),
        },
        resultPath: '$.result',
      };
  }
}

/** Adds the settings that are given as environment variables; the handler reads and checks them. */
function withSettings(
  fn: PipelineFunction,
  settings: Record<string, string | number | undefined>,
): PipelineFunction {
  for (const [name, value] of Object.entries(settings))
    if (value !== undefined) fn.addEnvironment(name, String(value));
  return fn;
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash, letter: string) => letter.toUpperCase());
}
