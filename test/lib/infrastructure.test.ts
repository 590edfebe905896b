import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addStacks } from '../../lib/app';

// The default app: network, RDS and the pipeline in that network. Properties that matter, by stack.
function stacks(context: Record<string, string> = {}) {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
  const built = addStacks(app);
  if (!built.network || !built.database) throw new Error('expected the network and database stacks');
  return {
    network: Template.fromStack(built.network),
    database: Template.fromStack(built.database),
    pipeline: Template.fromStack(built.pipeline),
  };
}

const { network, database, pipeline } = stacks();

test('the VPC has no route to the internet, an S3 gateway endpoint and the interface endpoints the functions need', () => {
  network.resourceCountIs('AWS::EC2::NatGateway', 0);
  network.resourceCountIs('AWS::EC2::InternetGateway', 0);
  network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
    VpcEndpointType: 'Gateway',
    ServiceName: Match.objectLike({}),
  });
  const interfaces = Object.values(
    network.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
  );
  expect(interfaces.map((endpoint) => JSON.stringify(endpoint.Properties.ServiceName))).toEqual([
    expect.stringContaining('secretsmanager'),
    expect.stringContaining('xray'),
  ]);
  network.resourceCountIs('AWS::EC2::FlowLog', 1);
});

test('RDS PostgreSQL 15: private, encrypted, TLS only, backed up, watched, credentials rotated', () => {
  database.hasResourceProperties('AWS::RDS::DBInstance', {
    Engine: 'postgres',
    EngineVersion: Match.stringLikeRegexp('^15'),
    PubliclyAccessible: false,
    StorageEncrypted: true,
    BackupRetentionPeriod: 7,
    EnablePerformanceInsights: true,
    DeletionProtection: false,
    MultiAZ: false,
  });
  database.hasResourceProperties('AWS::RDS::DBParameterGroup', {
    Parameters: Match.objectLike({ 'rds.force_ssl': '1', jit: '0', max_wal_size: '8192' }),
  });
  database.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
    RotationRules: { ScheduleExpression: 'rate(30 days)' },
  });
  const ingress = Object.values(database.findResources('AWS::EC2::SecurityGroupIngress'));
  expect(ingress.length).toBeGreaterThan(0);
  // Only PostgreSQL's port (5432, or the instance's port attribute), and only from security groups.
  const port = expect.objectContaining({ 'Fn::GetAtt': [expect.any(String), 'Endpoint.Port'] });
  for (const rule of ingress) {
    expect([5432, port]).toContainEqual(rule.Properties.FromPort);
    expect(rule.Properties.SourceSecurityGroupId).toBeDefined();
    expect(rule.Properties.CidrIp).toBeUndefined();
  }
});

test('production turns on deletion protection and Multi-AZ from context', () => {
  const production = stacks({ production: 'true', multiAz: 'true', backupRetentionDays: '30' });
  production.database.hasResourceProperties('AWS::RDS::DBInstance', {
    DeletionProtection: true,
    MultiAZ: true,
    BackupRetentionPeriod: 30,
  });
});

test('the pipeline functions run in the VPC, in the group the database admits', () => {
  const functions = Object.entries(pipeline.findResources('AWS::Lambda::Function'));
  // The custom-resource framework only calls the Lambda API, from outside the VPC.
  const own = functions.filter(([logicalId]) => !logicalId.includes('Providerframework'));
  expect(own.length).toBe(11);
  for (const [, fn] of own) {
    expect(fn.Properties.VpcConfig).toEqual({
      SecurityGroupIds: [expect.anything()],
      SubnetIds: expect.any(Array),
    });
  }
});

test('deploying migrates the schema, again whenever a migration file changes, and keeps the BI login', () => {
  pipeline.hasResourceProperties('Custom::WarehouseSchema', {
    migrations: Match.stringLikeRegexp('^[0-9a-f]{64}$'),
  });
  const migrate = Object.values(pipeline.findResources('AWS::Lambda::Function')).find(
    (fn) => fn.Properties.Environment?.Variables?.BI_LOGIN_SECRET_ARN !== undefined,
  );
  expect(migrate?.Properties.Environment.Variables).toMatchObject({ DATABASE_SECRET_ARN: expect.anything() });
  database.hasResourceProperties('AWS::SecretsManager::Secret', {
    GenerateSecretString: Match.objectLike({
      SecretStringTemplate: JSON.stringify({ username: 'bi_reader' }),
    }),
  });
});

test('alarms reach an encrypted topic: failed and timed-out runs, stale analytics, data quality, waiting files, errors, database', () => {
  pipeline.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  const alarms = Object.values(pipeline.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => alarm.Properties,
  );
  const described = alarms.map((properties) => String(properties.AlarmDescription));
  for (const text of [
    'execution failed',
    'timed out',
    '26 hours',
    'data-quality',
    'waited more than 26 hours',
    'functions are failing',
    'CPU',
    'free storage',
  ]) {
    expect(described.some((description) => description.includes(text))).toBe(true);
  }
  for (const properties of alarms)
    expect(properties.AlarmActions).toEqual([
      expect.objectContaining({ Ref: expect.stringContaining('MonitoringAlarms') }),
    ]);
  const stale = alarms.find((properties) => String(properties.AlarmDescription).includes('stale'));
  expect(stale).toMatchObject({
    EvaluationPeriods: 26,
    DatapointsToAlarm: 26,
    TreatMissingData: 'breaching',
    ComparisonOperator: 'LessThanThreshold',
  });
  pipeline.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
});

test('an alarm address from context is subscribed to the topic', () => {
  const withEmail = stacks({ alarmEmail: 'data-team@example.com' });
  withEmail.pipeline.hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'email',
    Endpoint: 'data-team@example.com',
  });
});

test('optionally, landed files start a run through a queue that gathers them for five minutes', () => {
  const { pipeline: withStarter } = stacks({ startOnNewFiles: 'true' });
  withStarter.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: Match.objectLike({ source: ['aws.s3'], 'detail-type': ['Object Created'] }),
  });
  withStarter.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
    MaximumBatchingWindowInSeconds: 300,
    BatchSize: 1000,
  });
  withStarter.hasResourceProperties('AWS::SQS::Queue', {
    RedrivePolicy: Match.objectLike({ maxReceiveCount: 150 }),
  });
  pipeline.resourceCountIs('AWS::SQS::Queue', 0);
});

test('every log group of the pipeline keeps its logs for a bounded time', () => {
  const groups = Object.values(pipeline.findResources('AWS::Logs::LogGroup'));
  expect(groups.length).toBeGreaterThanOrEqual(11);
  for (const group of groups) expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
  const functions = Object.values(pipeline.findResources('AWS::Lambda::Function'));
  for (const fn of functions) expect(fn.Properties.LoggingConfig?.LogGroup).toBeDefined();
});
