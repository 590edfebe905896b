import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

const ROOT = path.resolve(__dirname, '../..');

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
      runtime: lambda.Runtime.NODEJS_22_X,
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
        target: 'node22',
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
        SERVICE_NAME: 'saas-pipeline',
        NODE_OPTIONS: '--enable-source-maps',
        // The runtime ships the RDS certificate authorities here; pg verifies the server against them.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        // Statements stop 30 s before the function would, instead of running on in the server after it.
        STATEMENT_TIMEOUT_MS: String((props.timeout ?? Duration.minutes(5)).toMilliseconds() - 30_000),
      },
    });
  }

  /** The function reads the database credentials from this secret: its ARN, never its value, is in the environment. */
  bindDatabase(secret: secretsmanager.ISecret): this {
    this.addEnvironment('DATABASE_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    // An imported secret's grant leaves out its key; a secret under a key of its own needs kms:Decrypt.
    secret.encryptionKey?.grantDecrypt(this);
    return this;
  }

  bindLandingBucket(bucket: s3.IBucket, prefix: string): this {
    this.addEnvironment('LANDING_BUCKET', bucket.bucketName);
    this.addEnvironment('LANDING_PREFIX', prefix);
    bucket.grantRead(this, `${prefix}*`);
    return this;
  }
}
