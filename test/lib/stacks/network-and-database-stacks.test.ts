import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addStacks } from '../../../lib/app';

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
  // One per kind of step, the bootstrap and the migration.
  expect(own.length).toBe(13);
  for (const [, fn] of own) {
    expect(fn.Properties.VpcConfig).toEqual({
      SecurityGroupIds: [expect.anything()],
      SubnetIds: expect.any(Array),
    });
  }
});

/** The pipeline stack's functions by the part of their logical id that names them, e.g. `PipelineLoadFile`. */
function functionsOf(template: Template) {
  return Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([logicalId]) => !logicalId.includes('Providerframework'))
    .map(([logicalId, fn]) => ({
      logicalId,
      role: fn.Properties.Role['Fn::GetAtt'][0] as string,
      variables: (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
    }));
}

/** The database stack's export that a value in the pipeline stack imports, e.g. `LoaderLogin`. */
const imported = (value: unknown) =>
  JSON.stringify(value).match(/ExportsOutputRef([A-Za-z]+?)[0-9A-F]{8}/)?.[1];

test('each login has a secret of its own, in the JSON the functions read, with a generated password', () => {
  const secrets = Object.values(database.findResources('AWS::SecretsManager::Secret')).map(
    (secret) => secret.Properties.GenerateSecretString,
  );
  for (const username of ['pipeline_migrate', 'pipeline_load', 'pipeline_transform', 'bi_reader']) {
    const generated = secrets.find((g) =>
      JSON.stringify(g.SecretStringTemplate).includes(`"username\\":\\"${username}\\"`),
    );
    expect({ username, generated }).toEqual({
      username,
      generated: expect.objectContaining({
        GenerateStringKey: 'password',
        ExcludePunctuation: true,
        PasswordLength: 32,
      }),
    });
    const template = JSON.stringify(generated.SecretStringTemplate);
    // The BI login keeps its old template, so that deploying does not change its password.
    if (username === 'bi_reader') {
      expect(generated.SecretStringTemplate).toBe(JSON.stringify({ username: 'bi_reader' }));
      continue;
    }
    for (const field of ['host', 'port', 'dbname']) expect(template).toContain(`\\"${field}\\":`);
    expect(template).toContain('Endpoint.Address');
  }
});

test('each pipeline function logs in with its job login: loading as the loader, erasing as the eraser, the rest as the transformer', () => {
  const byStep = Object.fromEntries(
    functionsOf(pipeline)
      .filter((fn) => fn.logicalId.startsWith('Pipeline'))
      .map((fn) => [
        fn.logicalId.replace(/^Pipeline|[0-9A-F]{8}$/g, ''),
        imported(fn.variables.DATABASE_SECRET_ARN),
      ]),
  );
  expect(byStep).toEqual({
    StartRun: 'TransformerLogin',
    EraseRequested: 'EraserLogin',
    ListNewFiles: 'LoaderLogin',
    LoadFile: 'LoaderLogin',
    StageEvents: 'TransformerLogin',
    BuildModel: 'TransformerLogin',
    CheckQuality: 'TransformerLogin',
    SetAsOf: 'TransformerLogin',
    RefreshView: 'TransformerLogin',
    Publish: 'TransformerLogin',
    FinishRun: 'TransformerLogin',
  });
});

test('only the bootstrap function may read the master secret; the migration reads the login secrets', () => {
  const readers = new Map<string, string[]>();
  for (const policy of Object.values(pipeline.findResources('AWS::IAM::Policy'))) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      if (!JSON.stringify(statement.Action).includes('secretsmanager:GetSecretValue')) continue;
      for (const role of policy.Properties.Roles) {
        const secrets = [statement.Resource].flat().map(imported) as string[];
        readers.set(role.Ref, [...(readers.get(role.Ref) ?? []), ...secrets]);
      }
    }
  }
  const fns = functionsOf(pipeline);
  const bootstrap = fns.find((fn) => fn.variables.MIGRATOR_LOGIN_SECRET_ARN !== undefined);
  const migrate = fns.find((fn) => fn.variables.BI_LOGIN_SECRET_ARN !== undefined);
  expect(imported(bootstrap?.variables.DATABASE_SECRET_ARN)).toBe('WarehouseSecretAttachment');
  expect(imported(migrate?.variables.DATABASE_SECRET_ARN)).toBe('MigratorLogin');
  const masterReaders = [...readers].filter(([, secrets]) => secrets.includes('WarehouseSecretAttachment'));
  expect(masterReaders.map(([role]) => role)).toEqual([bootstrap?.role]);
  expect(readers.get(bootstrap?.role ?? '')?.sort()).toEqual(['MigratorLogin', 'WarehouseSecretAttachment']);
  expect(readers.get(migrate?.role ?? '')?.sort()).toEqual([
    'BiLogin',
    'EraserLogin',
    'LoaderLogin',
    'MigratorLogin',
    'TransformerLogin',
  ]);
  expect(migrate?.variables).toMatchObject({
    LOADER_LOGIN_SECRET_ARN: expect.anything(),
    TRANSFORMER_LOGIN_SECRET_ARN: expect.anything(),
    ERASER_LOGIN_SECRET_ARN: expect.anything(),
  });
  // Nothing outside the pipeline stack's own functions reads it there either.
  expect(
    fns.filter((fn) => imported(fn.variables.DATABASE_SECRET_ARN) === 'WarehouseSecretAttachment'),
  ).toHaveLength(1);
});

test('deploying bootstraps the migrator, then migrates and sets the logins, on every deployment', () => {
  const migrator = Object.entries(pipeline.findResources('Custom::WarehouseMigrator'));
  const schema = Object.values(pipeline.findResources('Custom::WarehouseSchema'));
  expect(migrator).toHaveLength(1);
  expect(schema).toHaveLength(1);
  const [migratorId, migratorResource] = migrator[0] ?? [];
  expect(schema[0]?.Properties).toMatchObject({
    migrations: expect.stringMatching(/^[0-9a-f]{64}$/),
    models: expect.stringMatching(/^[0-9a-f]{64}$/),
    seeds: expect.stringMatching(/^[0-9a-f]{64}$/),
    deployment: expect.any(String),
  });
  expect(schema[0]?.DependsOn).toContain(migratorId);
  // The nonce: the same within one synth, a new one in the next.
  expect(migratorResource?.Properties.deployment).toBe(schema[0]?.Properties.deployment);
  const next = Object.values(stacks().pipeline.findResources('Custom::WarehouseSchema'))[0];
  expect(next?.Properties.deployment).not.toBe(schema[0]?.Properties.deployment);
  expect(next?.Properties.migrations).toBe(schema[0]?.Properties.migrations);
  expect(next?.Properties.models).toBe(schema[0]?.Properties.models);
  expect(next?.Properties.seeds).toBe(schema[0]?.Properties.seeds);

  // The step functions switch to their logins only once the logins exist.
  const startRun = Object.entries(pipeline.findResources('AWS::Lambda::Function')).find(([id]) =>
    id.startsWith('PipelineStartRun'),
  );
  expect(startRun?.[1].DependsOn).toEqual(
    expect.arrayContaining([expect.stringMatching(/^SchemaWarehouse/)]),
  );
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
    'was rejected',
    'failed to load on each of the last 3 days',
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

test('rejected files alarm on one in a day, files failing to load on three days in a row; both are graphed', () => {
  pipeline.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Namespace: 'SaasAnalyticsPipeline',
    MetricName: 'FilesRejected',
    Statistic: 'Sum',
    Period: 86400,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  });
  pipeline.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Namespace: 'SaasAnalyticsPipeline',
    MetricName: 'FilesFailedToLoad',
    Period: 86400,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 3,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  });
  const body = JSON.stringify(Object.values(pipeline.findResources('AWS::CloudWatch::Dashboard'))[0]);
  expect(body).toContain('FilesRejected');
  expect(body).toContain('FilesFailedToLoad');
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
