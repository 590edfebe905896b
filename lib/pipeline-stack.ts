import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PipelineStateMachine } from './pipeline/pipeline-state-machine';

export interface PipelineStackProps extends StackProps {
  /**
   * Name of the Secrets Manager secret holding the database connection (host, port, username,
   * password, dbname), as RDS writes it.
   * @default 'saas-pipeline/database'
   */
  readonly databaseSecretName?: string;
}

/**
 * The landing bucket and the pipeline that loads it, against a PostgreSQL 15 whose credentials are in
 * a secret. The network and database stacks are to be added beside this one.
 */
export class PipelineStack extends Stack {
  readonly pipeline: PipelineStateMachine;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    const landingBucket = new s3.Bucket(this, 'LandingBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const databaseSecret = secretsmanager.Secret.fromSecretNameV2(
      this,
      'DatabaseSecret',
      props.databaseSecretName ?? 'saas-pipeline/database',
    );
    this.pipeline = new PipelineStateMachine(this, 'Pipeline', { landingBucket, databaseSecret });
  }
}
