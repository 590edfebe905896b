import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from '../../common/project-root';
import { PipelineFunction } from './pipeline-function';

export interface SchemaMigrationsProps {
  /** The RDS master login: only the bootstrap function may read it. */
  readonly masterSecret: secretsmanager.ISecret;
  /** pipeline_migrate: runs the migrations, owns the schema, manages the other logins. */
  readonly migratorSecret: secretsmanager.ISecret;
  /** pipeline_load, granted saas_loader. */
  readonly loaderSecret: secretsmanager.ISecret;
  /** pipeline_transform, granted saas_transformer. */
  readonly transformerSecret: secretsmanager.ISecret;
  /** pipeline_erase, granted saas_eraser. */
  readonly eraserSecret: secretsmanager.ISecret;
  /** bi_reader, granted analytics_reader. */
  readonly readerSecret: secretsmanager.ISecret;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
  /**
   * A value that differs on every deployment, so that both resources run each time.
   * @default a new random value on every synth
   */
  readonly deploymentNonce?: string;
}

/**
 * The deployment sets up the warehouse itself, in two custom resources that run in order on every
 * deployment. First the bootstrap, the only function that reads the RDS master secret: it creates or
 * updates the pipeline_migrate login and hands it what the master owns of the pipeline's schemas.
 * Then, as pipeline_migrate, the same migration code the CLI runs, and the loader, transformer, eraser and BI
 * logins from their secrets. Passwords reach the database only as SCRAM verifiers.
 */
export class SchemaMigrations extends Construct {
  /** The bootstrap function, which alone reads the master secret. */
  readonly bootstrapFunction: PipelineFunction;
  /** The migration function, which logs in as pipeline_migrate. */
  readonly migrateFunction: PipelineFunction;
  /** Done once the schema is current and every login is in step with its secret. */
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SchemaMigrationsProps) {
    super(scope, id);
    const network = { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups };
    // CloudFormation cannot see a secret's value change, and dynamic references to secrets are not
    // allowed in custom-resource properties: without a property that changes every synth, a changed
    // login secret would never reach the database. Both resources are idempotent, so running them on
    // every deployment costs seconds and changes nothing when nothing changed.
    const deployment = props.deploymentNonce ?? randomUUID();

    this.bootstrapFunction = new PipelineFunction(this, 'Bootstrap', {
      handlerFile: 'provision-migrator',
      description: 'As the RDS master: create or update the migration login and hand it the schema',
      timeout: Duration.minutes(5),
      memorySize: 256,
      ...network,
    }).bindDatabase(props.masterSecret);
    this.bindLoginSecret(this.bootstrapFunction, 'MIGRATOR_LOGIN_SECRET_ARN', props.migratorSecret);
    const bootstrap = new CustomResource(this, 'Migrator', {
      serviceToken: this.provider('BootstrapProvider', this.bootstrapFunction).serviceToken,
      resourceType: 'Custom::WarehouseMigrator',
      properties: { deployment },
    });

    this.migrateFunction = new PipelineFunction(this, 'Migrate', {
      handlerFile: 'migrate-schema',
      description: 'As pipeline_migrate: apply the schema migrations and keep the pipeline logins in step',
      timeout: Duration.minutes(10),
      memorySize: 512,
      ...network,
    }).bindDatabase(props.migratorSecret);
    this.bindLoginSecret(this.migrateFunction, 'LOADER_LOGIN_SECRET_ARN', props.loaderSecret);
    this.bindLoginSecret(this.migrateFunction, 'TRANSFORMER_LOGIN_SECRET_ARN', props.transformerSecret);
    this.bindLoginSecret(this.migrateFunction, 'ERASER_LOGIN_SECRET_ARN', props.eraserSecret);
    this.bindLoginSecret(this.migrateFunction, 'BI_LOGIN_SECRET_ARN', props.readerSecret);
    this.resource = new CustomResource(this, 'Warehouse', {
      serviceToken: this.provider('Provider', this.migrateFunction).serviceToken,
      resourceType: 'Custom::WarehouseSchema',
      properties: {
        migrations: fingerprint('migrations'),
        models: fingerprint('models'),
        seeds: fingerprint('seeds'),
        deployment,
      },
    });
    // The migrator logs in with the password the bootstrap has just set.
    this.resource.node.addDependency(bootstrap);
  }

  /** The function reads a login's secret, to set that login's password: the ARN is in `variable`. */
  private bindLoginSecret(fn: PipelineFunction, variable: string, secret: secretsmanager.ISecret): void {
    fn.addEnvironment(variable, secret.secretArn);
    secret.grantRead(fn);
    secret.encryptionKey?.grantDecrypt(fn);
  }

  private provider(id: string, onEventHandler: PipelineFunction): cr.Provider {
    const provider = new cr.Provider(this, id, {
      onEventHandler,
      logGroup: new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH }),
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
          'The custom-resource framework picks its own runtime; the work itself runs in a PipelineFunction on the latest.',
      },
      ...['', ':*'].map((suffix) => ({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(onEventHandler.node.defaultChild as never)}.Arn>${suffix}]`,
        reason: 'The framework invokes the function it fronts, any version of it.',
      })),
    );
    return provider;
  }
}

/**
 * A hash of every file under sql/<folder> (migrations, the schema models in their layer folders, or the
 * seeds users edit): a new or changed file shows in the resource's properties, and so in `cdk diff`, and
 * the deployment applies it. The files themselves
 * reach the function in its bundle, which copies the whole sql/ folder (PipelineFunction).
 */
function fingerprint(folder: 'migrations' | 'models' | 'seeds'): string {
  const root = path.join(PROJECT_ROOT, 'sql', folder);
  const hash = createHash('sha256');
  const add = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) add(file);
      else hash.update(path.relative(root, file)).update(readFileSync(file));
    }
  };
  add(root);
  return hash.digest('hex');
}
