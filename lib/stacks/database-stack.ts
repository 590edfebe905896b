import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { LOGIN_NAMES, type PipelineLogin } from '../../lambdas/warehouse/login-names';
import { SUBNETS } from './network-stack';

/** The database the instance is created with, which every login's secret names. */
const DATABASE_NAME = 'analytics';

export interface DatabaseStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  /** @default db.t4g.medium */
  readonly instanceType?: string;
  /** @default false */
  readonly multiAz?: boolean;
  /** @default 7 */
  readonly backupRetentionDays?: number;
  /** A production database keeps deletion protection and a final snapshot. @default false */
  readonly production?: boolean;
}

/**
 * RDS PostgreSQL 15 in isolated subnets: encrypted, not public, TLS only, automated backups,
 * Performance Insights, master credentials generated in Secrets Manager and rotated every 30 days, a
 * parameter group tuned for the pipeline's bulk loads, and one login per job, each with a secret of
 * its own: the deployment creates the logins and sets their passwords from these secrets
 * (lib/constructs/schema-migrations.ts).
 */
export class DatabaseStack extends Stack {
  readonly instance: rds.DatabaseInstance;
  /** The RDS master login: only the deployment's bootstrap function reads it. */
  readonly masterSecret: secretsmanager.ISecret;
  /** Functions in this group may connect to the database. */
  readonly clientSecurityGroup: ec2.SecurityGroup;
  /**
   * The logins' secrets (host, port, dbname, username, password), by job: `migrator`
   * (pipeline_migrate, owns the schema), `loader` (pipeline_load), `transformer` (pipeline_transform),
   * `eraser` (pipeline_erase) and `reader` (bi_reader, for Metabase or QuickSight).
   */
  readonly loginSecrets: Readonly<Record<PipelineLogin, secretsmanager.Secret>>;
  /** The BI tools' read-only login: `loginSecrets.reader`. */
  readonly biLoginSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    super(scope, id, props);
    const production = props.production ?? false;
    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'Clients', {
      vpc: props.vpc,
      description: 'Pipeline functions that connect to the warehouse',
      allowAllOutbound: true,
    });
    const databaseGroup = new ec2.SecurityGroup(this, 'Database', {
      vpc: props.vpc,
      description: 'The warehouse database',
      allowAllOutbound: false,
    });
    databaseGroup.addIngressRule(
      this.clientSecurityGroup,
      ec2.Port.tcp(5432),
      'PostgreSQL from the pipeline functions',
    );
    databaseGroup.addIngressRule(databaseGroup, ec2.Port.tcp(5432), 'PostgreSQL from the secret rotation');

    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 });
    const parameters = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Tuned for bulk COPY, large sorts and few connections',
      parameters: {
        'rds.force_ssl': '1',
        max_wal_size: '8192', // MB: fewer checkpoints (and full-page writes) during a bulk load
        checkpoint_timeout: '900',
        maintenance_work_mem: '524288', // kB
        work_mem: '65536', // kB; the pipeline raises it per bulk transaction
        jit: '0', // compiling plans cost the small analytics views 0.3 s each
        idle_session_timeout: '600000', // ms: frozen Lambda containers do not close their sessions
        log_min_duration_statement: '10000',
      },
    });
    this.instance = new rds.DatabaseInstance(this, 'Warehouse', {
      engine,
      instanceType: new ec2.InstanceType(props.instanceType ?? 't4g.medium'),
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: SUBNETS.database },
      securityGroups: [databaseGroup],
      publiclyAccessible: false,
      storageEncrypted: true,
      allocatedStorage: 50,
      maxAllocatedStorage: 500,
      storageType: rds.StorageType.GP3,
      multiAz: props.multiAz ?? false,
      backupRetention: Duration.days(props.backupRetentionDays ?? 7),
      deletionProtection: production,
      removalPolicy: production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      enablePerformanceInsights: true,
      cloudwatchLogsExports: ['postgresql'],
      autoMinorVersionUpgrade: true,
      parameterGroup: parameters,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('pipeline'),
    });
    this.masterSecret = this.instance.secret as secretsmanager.ISecret;
    this.instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: { subnetGroupName: SUBNETS.functions },
      securityGroup: databaseGroup,
    });

    // The same JSON as the master's, so that a function reads any of them alike. Each password is
    // sent to the database only as a SCRAM verifier (lambdas/warehouse/scram.ts); ASCII letters and
    // digits, so that SASLprep leaves it as it is.
    // The functions' logins hold where to connect, as the handlers read it. The BI login keeps the
    // template it always had: a changed template makes CloudFormation generate a new password, and
    // every BI tool configured with the old one would stop working.
    const loginSecret = (id: string, login: PipelineLogin, description: string) => {
      const connection =
        login === 'reader'
          ? {}
          : {
              host: this.instance.dbInstanceEndpointAddress,
              port: this.instance.dbInstanceEndpointPort,
              dbname: DATABASE_NAME,
            };
      const secret = new secretsmanager.Secret(this, id, {
        description,
        generateSecretString: {
          secretStringTemplate: Stack.of(this).toJsonString({ ...connection, username: LOGIN_NAMES[login] }),
          generateStringKey: 'password',
          excludePunctuation: true,
          passwordLength: 32,
        },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Every deploy sets this login password from the secret; rotate it by changing the secret value and deploying again.',
      });
      return secret;
    };
    this.loginSecrets = {
      migrator: loginSecret(
        'MigratorLogin',
        'migrator',
        'Warehouse login that runs the schema migrations and owns the schema (pipeline_migrate)',
      ),
      loader: loginSecret(
        'LoaderLogin',
        'loader',
        'Warehouse login of the loading steps: saas_loader (pipeline_load)',
      ),
      transformer: loginSecret(
        'TransformerLogin',
        'transformer',
        'Warehouse login of the staging, modelling, quality and publishing steps: saas_transformer (pipeline_transform)',
      ),
      eraser: loginSecret(
        'EraserLogin',
        'eraser',
        'Warehouse login of the erasure step, the only one that deletes from raw: saas_eraser (pipeline_erase)',
      ),
      reader: loginSecret(
        'BiLogin',
        'reader',
        'Read-only login for Metabase or QuickSight: analytics_reader on the warehouse (bi_reader)',
      ),
    };
    this.biLoginSecret = this.loginSecrets.reader;
    new CfnOutput(this, 'WarehouseEndpoint', { value: this.instance.dbInstanceEndpointAddress });
    new CfnOutput(this, 'BiLoginSecretArn', {
      value: this.biLoginSecret.secretArn,
      description: 'The read-only login for Metabase or QuickSight',
    });

    Validations.of(this.instance).acknowledge(
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'The default port: the database is reachable only from the pipeline security group in isolated subnets.',
      },
      {
        id: 'AwsSolutions-RDS6',
        reason:
          'The pipeline authenticates with rotated Secrets Manager credentials; IAM auth tokens would add a call per connection.',
      },
    );
    if (!(props.multiAz ?? false)) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason:
          'Single-AZ by default for cost (a daily batch tolerates a restore); set -c multiAz=true for production.',
      });
    }
    if (!production) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'Deletion protection is on in production (-c production=true); off elsewhere so that test stacks can be torn down.',
      });
    }
  }
}
