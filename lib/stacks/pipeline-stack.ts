import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { PipelineLogin } from '../../lambdas/warehouse/login-names';
import { PipelineMonitoring } from '../constructs/pipeline-monitoring';
import { SchemaMigrations } from '../constructs/schema-migrations';
import { StartOnNewFiles } from '../constructs/start-on-new-files';
import { PipelineStateMachine } from '../constructs/pipeline-state-machine';
import { LANDING_PREFIXES } from '../../lambdas/warehouse/source-format';

/**
 * With a database of your own (no `database` prop) the deployment creates no login and runs no
 * migration: you apply the migrations (`saas-pipeline migrate`, as the login that is to own the schema)
 * and create the logins and their secrets yourself. Each secret holds the JSON host, port, username,
 * password and dbname. The loading steps' login needs the saas_loader role, every other step's
 * saas_transformer, and the erasure step's saas_eraser (the roles are made by the migrations); give
 * each job a login of its own with `loaderSecretName`, `transformerSecretName` and `eraserSecretName`,
 * or let them use `databaseSecretName`, whose login then needs every role (the login that ran the migrations has them already).
 */
export interface PipelineStackProps extends StackProps {
  /**
   * Name of the Secrets Manager secret holding the database connection (host, port, username,
   * password, dbname), encrypted with the account's default key: the login of every step that has no
   * secret of its own below.
   * @default 'saas-pipeline/database'
   */
  readonly databaseSecretName?: string;
  /** Full ARN of that secret instead of its name, for a secret under a key of your own. @default none */
  readonly databaseSecretArn?: string;
  /** ARN of the KMS key the secret is encrypted with; the functions get kms:Decrypt on it. @default the default key */
  readonly databaseSecretKeyArn?: string;
  /** Name of the loading steps' secret, a login granted saas_loader. @default the database secret */
  readonly loaderSecretName?: string;
  /** Name of the other steps' secret, a login granted saas_transformer. @default the database secret */
  readonly transformerSecretName?: string;
  /** Name of the erasure step's secret, a login granted saas_eraser. @default the database secret */
  readonly eraserSecretName?: string;
  /** Start a run a few minutes after new files land, besides the daily one. @default false */
  readonly startOnNewFiles?: boolean;
  /** The earliest event instant staging accepts. @default 2000-01-01T00:00:00Z */
  readonly minEventTimestamp?: string;
  /** Lines one staging batch takes at most. @default 5,000,000 */
  readonly stagingBatchMaxLines?: number;
  /** Keep IP addresses whole instead of their /24 or /48. @default false */
  readonly fullIpAddresses?: boolean;
  /** The IANA zone of every day, week and month of the warehouse. @default UTC */
  readonly reportingTimeZone?: string;
  /**
   * Files loaded at once by the Load files map: each is a Lambda container holding a COPY
   * connection (and up to 3 in its pool), so keep it well under the database's max_connections.
   * @default 2
   */
  readonly loadConcurrency?: number;
  /** Send the alarms to this address. @default none: subscribe to the topic later */
  readonly alarmEmail?: string;
  /** Landing files move to Infrequent Access after this many days. @default 30 */
  readonly infrequentAccessAfterDays?: number;
  /** ...and to Glacier Flexible Retrieval after this many. @default 90 */
  readonly glacierAfterDays?: number;
  /**
   * The database this app's DatabaseStack made, its logins' secrets, and the network to reach it;
   * overrides the secret props. The deployment then creates the logins and migrates the schema.
   * @default none
   */
  readonly database?: {
    readonly instance: rds.IDatabaseInstance;
    /** The RDS master login's secret: only the deployment's bootstrap function reads it. */
    readonly masterSecret: secretsmanager.ISecret;
    readonly loginSecrets: Readonly<Record<PipelineLogin, secretsmanager.ISecret>>;
    readonly vpc: ec2.IVpc;
    readonly vpcSubnets: ec2.SubnetSelection;
    readonly securityGroups: ec2.ISecurityGroup[];
  };
}

/**
 * The landing bucket and the pipeline that loads it, against a PostgreSQL 15 whose credentials are in
 * a secret. The network and database stacks are to be added beside this one.
 */
export class PipelineStack extends Stack {
  readonly pipeline: PipelineStateMachine;
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    const accessLogs = new s3.Bucket(this, 'LandingAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the landing bucket access logs; logging it too would only log the logging.',
    });
    const landingBucket = new s3.Bucket(this, 'LandingBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'landing/',
      // Loaded files are kept (raw.events holds them too, but the files are the source of truth)
      // and move to cheaper storage once no run is likely to read them again.
      lifecycleRules: [
        {
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.infrequentAccessAfterDays ?? 30),
            },
            {
              storageClass: s3.StorageClass.GLACIER,
              transitionAfter: Duration.days(props.glacierAfterDays ?? 90),
            },
          ],
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Object-created events go to EventBridge, for rules that react to new files. Set on the
    // CloudFormation resource itself: the construct's option would add a custom-resource function.
    (landingBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    const logins = props.database?.loginSecrets ?? this.importedSecrets(props);
    this.pipeline = new PipelineStateMachine(this, 'Pipeline', {
      landingBucket,
      loaderSecret: logins.loader,
      transformerSecret: logins.transformer,
      eraserSecret: logins.eraser,
      minEventTimestamp: props.minEventTimestamp,
      fullIpAddresses: props.fullIpAddresses,
      reportingTimeZone: props.reportingTimeZone,
      loadConcurrency: props.loadConcurrency,
      stagingBatchMaxLines: props.stagingBatchMaxLines,
      vpc: props.database?.vpc,
      vpcSubnets: props.database?.vpcSubnets,
      securityGroups: props.database?.securityGroups,
    });
    if (props.database) {
      const schema = new SchemaMigrations(this, 'Schema', {
        masterSecret: props.database.masterSecret,
        migratorSecret: props.database.loginSecrets.migrator,
        loaderSecret: props.database.loginSecrets.loader,
        transformerSecret: props.database.loginSecrets.transformer,
        eraserSecret: props.database.loginSecrets.eraser,
        readerSecret: props.database.loginSecrets.reader,
        vpc: props.database.vpc,
        vpcSubnets: props.database.vpcSubnets,
        securityGroups: props.database.securityGroups,
      });
      // The functions change to their own logins only once those exist: otherwise the first deploy of
      // an existing warehouse could run a step with a login the bootstrap has not made yet.
      this.pipeline.node.addDependency(schema.resource);
    }
    if (props.startOnNewFiles) {
      new StartOnNewFiles(this, 'StartOnNewFiles', {
        landingBucket,
        prefixes: LANDING_PREFIXES,
        stateMachine: this.pipeline.stateMachine,
      });
    }
    new CfnOutput(this, 'LandingBucketName', {
      value: landingBucket.bucketName,
      description: 'Put event files under events/ (native) or segment-logs/ (Segment S3 destination) here',
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      stateMachine: this.pipeline.stateMachine,
      functions: Object.values(this.pipeline.functions).filter(
        (fn) => fn !== this.pipeline.functions['erase-requested'],
      ),
      erasureFunction: this.pipeline.functions['erase-requested'],
      database: props.database?.instance,
      alarmEmail: props.alarmEmail,
    });
  }

  /** The secrets of a database of your own: one for all, or one per job (see PipelineStackProps). */
  private importedSecrets(props: PipelineStackProps): {
    loader: secretsmanager.ISecret;
    transformer: secretsmanager.ISecret;
    eraser: secretsmanager.ISecret;
  } {
    const shared = props.databaseSecretArn
      ? secretsmanager.Secret.fromSecretAttributes(this, 'DatabaseSecret', {
          secretCompleteArn: props.databaseSecretArn,
          encryptionKey: props.databaseSecretKeyArn
            ? kms.Key.fromKeyArn(this, 'DatabaseSecretKey', props.databaseSecretKeyArn)
            : undefined,
        })
      : secretsmanager.Secret.fromSecretNameV2(
          this,
          'DatabaseSecret',
          props.databaseSecretName ?? 'saas-pipeline/database',
        );
    const named = (id: string, name: string | undefined) =>
      name === undefined ? shared : secretsmanager.Secret.fromSecretNameV2(this, id, name);
    return {
      loader: named('LoaderSecret', props.loaderSecretName),
      transformer: named('TransformerSecret', props.transformerSecretName),
      eraser: named('EraserSecret', props.eraserSecretName),
    };
  }
}
