import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PipelineMonitoring } from './pipeline/pipeline-monitoring';
import { SchemaMigrations } from './pipeline/schema-migrations';
import { StartOnNewFiles } from './pipeline/start-on-new-files';
import { PipelineStateMachine } from './pipeline/pipeline-state-machine';

export interface PipelineStackProps extends StackProps {
  /**
   * Name of the Secrets Manager secret holding the database connection (host, port, username,
   * password, dbname), encrypted with the account's default key.
   * @default 'saas-pipeline/database'
   */
  readonly databaseSecretName?: string;
  /** Full ARN of that secret instead of its name, for a secret under a key of your own. @default none */
  readonly databaseSecretArn?: string;
  /** ARN of the KMS key the secret is encrypted with; the functions get kms:Decrypt on it. @default the default key */
  readonly databaseSecretKeyArn?: string;
  /** Start a run a few minutes after new files land, besides the daily one. @default false */
  readonly startOnNewFiles?: boolean;
  /** Send the alarms to this address. @default none: subscribe to the topic later */
  readonly alarmEmail?: string;
  /** Landing files move to Infrequent Access after this many days. @default 30 */
  readonly infrequentAccessAfterDays?: number;
  /** ...and to Glacier Flexible Retrieval after this many. @default 90 */
  readonly glacierAfterDays?: number;
  /** The database this app's DatabaseStack made, and the network to reach it; overrides the secret props. @default none */
  readonly database?: {
    readonly instance: rds.DatabaseInstance;
    readonly secret: secretsmanager.ISecret;
    readonly biLoginSecret: secretsmanager.ISecret;
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
    const databaseSecret = props.database?.secret ?? this.importedSecret(props);
    this.pipeline = new PipelineStateMachine(this, 'Pipeline', {
      landingBucket,
      databaseSecret,
      vpc: props.database?.vpc,
      vpcSubnets: props.database?.vpcSubnets,
      securityGroups: props.database?.securityGroups,
    });
    if (props.database) {
      new SchemaMigrations(this, 'Schema', {
        databaseSecret,
        biLoginSecret: props.database.biLoginSecret,
        vpc: props.database.vpc,
        vpcSubnets: props.database.vpcSubnets,
        securityGroups: props.database.securityGroups,
      });
    }
    if (props.startOnNewFiles) {
      new StartOnNewFiles(this, 'StartOnNewFiles', {
        landingBucket,
        prefix: 'events/',
        stateMachine: this.pipeline.stateMachine,
      });
    }
    new CfnOutput(this, 'LandingBucketName', {
      value: landingBucket.bucketName,
      description: 'Put event files under events/ here',
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      stateMachine: this.pipeline.stateMachine,
      functions: Object.values(this.pipeline.functions),
      database: props.database?.instance,
      alarmEmail: props.alarmEmail,
    });
  }

  private importedSecret(props: PipelineStackProps): secretsmanager.ISecret {
    return props.databaseSecretArn
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
  }
}
