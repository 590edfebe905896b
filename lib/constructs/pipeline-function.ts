import path from 'node:path';
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SERVICE_NAME } from '../../lambdas/observability';
import { PROJECT_ROOT } from '../../common/project-root';
import { ERASURE_REQUEST_PREFIX } from '../../lambdas/warehouse/erasure-requests';

// The repository, also when the app is loaded from the compiled CLI in dist/ (to render the state machine).
const ROOT = PROJECT_ROOT;

export interface PipelineFunctionProps {
  /** File in lambdas/handlers without extension, e.g. `load-file`. */
  readonly handlerFile: string;
  readonly description: string;
  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default no VPC */
  readonly vpc?: ec2.IVpc;
  /** @default the VPC's private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default none */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * The project's Lambda function: one runtime, architecture, log retention and bundling for every
 * step, with the SQL files shipped beside the handler. `bindDatabase` and `bindLandingBucket` add a
 * variable and its IAM grant in one call.
 */
export class PipelineFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id, {
      entry: path.join(ROOT, 'lambdas', 'handlers', `${props.handlerFile}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: props.memorySize ?? 1024,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH }),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      projectRoot: ROOT,
      depsLockFilePath: path.join(ROOT, 'package-lock.json'),
      bundling: {
        target: 'node24',
        sourceMap: true,
        // pg's optional native binding is never used; the AWS SDK v3 comes with the runtime.
        externalModules: ['pg-native', '@aws-sdk/*'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // The handlers read their SQL from ./sql next to the bundle (lambdas/warehouse/sql-files.ts).
          afterBundling: (inputDir, outputDir) => [`cp -r "${inputDir}/sql" "${outputDir}/sql"`],
        },
      },
      environment: {
        // Powertools' logger reads these: the service name on every line, INFO and above.
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        // The runtime ships the RDS certificate authorities here; pg verifies the server against them.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        // Statements stop 30 s before the function would, instead of running on in the server after it.
        STATEMENT_TIMEOUT_MS: String((props.timeout ?? Duration.minutes(5)).toMilliseconds() - 30_000),
      },
    });
    this.acknowledgeDeliberateFindings();
  }

  /** cdk-nag findings on every pipeline function that are deliberate, each with its reason. */
  private acknowledgeDeliberateFindings(): void {
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The AWS-maintained basic execution policy only lets the function write its own CloudWatch logs.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray trace writes (xray:PutTraceSegments, PutTelemetryRecords) have no resource-level permissions.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'The AWS-maintained VPC access policy only lets the function manage the network interfaces that attach it to its subnets.',
      },
    );
  }

  /** The function reads the database credentials from this secret: its ARN, never its value, is in the environment. */
  bindDatabase(secret: secretsmanager.ISecret): this {
    this.addEnvironment('DATABASE_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    // An imported secret's grant leaves out its key; a secret under a key of its own needs kms:Decrypt.
    secret.encryptionKey?.grantDecrypt(this);
    return this;
  }

  /** Read access to the landing objects under the prefixes and the listing of those prefixes; nothing else. */
  bindLandingBucket(bucket: s3.IBucket, prefixes: readonly string[]): this {
    this.addEnvironment('LANDING_BUCKET', bucket.bucketName);
    this.addEnvironment('LANDING_PREFIXES', prefixes.join(','));
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
      }),
    );
    const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
    for (const prefix of prefixes)
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason:
          'The function reads landing files whose keys are only known at run time, all under the landing prefixes.',
      });
    return this;
  }

  /**
   * The erasure requests (lambdas/warehouse/erasure-requests.ts): list them, read them, and delete each
   * once carried out, the version read included; no other key of the bucket.
   */
  bindErasureRequests(bucket: s3.IBucket): this {
    this.addEnvironment('LANDING_BUCKET', bucket.bucketName);
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [bucket.arnForObjects(`${ERASURE_REQUEST_PREFIX}*`)],
      }),
    );
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ERASURE_REQUEST_PREFIX}*`] } },
      }),
    );
    const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${ERASURE_REQUEST_PREFIX}*]`,
      reason:
        'The erasure step reads and deletes request files whose names the operator chooses, all under erasure-requests/.',
    });
    return this;
  }
}
