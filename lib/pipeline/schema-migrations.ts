import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CustomResource, Duration, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { PipelineFunction } from './pipeline-function';

export interface SchemaMigrationsProps {
  readonly databaseSecret: secretsmanager.ISecret;
  readonly biLoginSecret: secretsmanager.ISecret;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
}

/**
 * The deployment creates or upgrades the warehouse schema itself, with the same migration code the
 * pipeline runs, and keeps the BI login in step with its secret. The resource changes (and so runs)
 * whenever a migration file does.
 */
export class SchemaMigrations extends Construct {
  constructor(scope: Construct, id: string, props: SchemaMigrationsProps) {
    super(scope, id);
    const migrate = new PipelineFunction(this, 'Migrate', {
      handlerFile: 'migrate-schema',
      description: 'Apply the warehouse schema migrations and keep the BI login in step',
      timeout: Duration.minutes(10),
      memorySize: 512,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
    }).bindDatabase(props.databaseSecret);
    migrate.addEnvironment('BI_LOGIN_SECRET_ARN', props.biLoginSecret.secretArn);
    props.biLoginSecret.grantRead(migrate);

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: migrate,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: logs.RetentionDays.ONE_MONTH }),
    });
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "The custom-resource framework's function only writes its own logs with this AWS-maintained policy.",
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          'The custom-resource framework picks its own runtime; the migration itself runs in a PipelineFunction on the latest.',
      },
    );
    Validations.of(provider).acknowledge(
      ...['', ':*'].map((suffix) => ({
        id: `AwsSolutions-IAM5[Resource::<${migrate.stack.getLogicalId(migrate.node.defaultChild as never)}.Arn>${suffix}]`,
        reason: 'The framework invokes the migration function, any version of it.',
      })),
    );

    new CustomResource(this, 'Warehouse', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::WarehouseSchema',
      properties: { migrations: migrationsFingerprint() },
    });
  }
}

/** A hash of every migration file: a new or changed migration changes the resource, which runs it. */
function migrationsFingerprint(): string {
  const dir = path.resolve(__dirname, '../../sql/migrations');
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(path.join(dir, file)));
  return hash.digest('hex');
}
