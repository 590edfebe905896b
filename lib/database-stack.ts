import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SUBNETS } from './network-stack';

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
 * Performance Insights, credentials generated in Secrets Manager and rotated every 30 days, and a
 * parameter group tuned for the pipeline's bulk loads.
 */
export class DatabaseStack extends Stack {
  readonly instance: rds.DatabaseInstance;
  readonly secret: secretsmanager.ISecret;
  /** Functions in this group may connect to the database. */
  readonly clientSecurityGroup: ec2.SecurityGroup;
  /** The BI tools' read-only login (username, password); the schema migration keeps the role in step. */
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
      databaseName: 'analytics',
      credentials: rds.Credentials.fromGeneratedSecret('pipeline'),
    });
    this.secret = this.instance.secret as secretsmanager.ISecret;
    this.instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: { subnetGroupName: SUBNETS.functions },
      securityGroup: databaseGroup,
    });

    this.biLoginSecret = new secretsmanager.Secret(this, 'BiLogin', {
      description: 'Read-only login for Metabase or QuickSight: analytics_reader on the warehouse',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'bi_reader' }),
        generateStringKey: 'password',
        excludePunctuation: true,
        passwordLength: 32,
      },
    });
    new CfnOutput(this, 'WarehouseEndpoint', { value: this.instance.dbInstanceEndpointAddress });
    new CfnOutput(this, 'BiLoginSecretArn', {
      value: this.biLoginSecret.secretArn,
      description: 'The read-only login for Metabase or QuickSight',
    });
    Validations.of(this.biLoginSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Each deploy sets the BI role password from this secret; change it by updating the secret and deploying again.',
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
