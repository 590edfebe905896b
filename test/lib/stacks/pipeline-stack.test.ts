import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addStacks } from '../../../lib/app';
import { PipelineStack } from '../../../lib/stacks/pipeline-stack';
import { STEP_HANDLERS } from '../../../lambdas/plan';

// CDK assertions on the properties that matter, not a whole-template snapshot. Bundling and the
// built-in CloudFormation validation are off: they would add seconds and test nothing of ours.
let template: Template;
let definition: string;
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  template = Template.fromStack(new PipelineStack(app, 'Test'));
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  definition = JSON.stringify(Object.values(machines)[0]?.Properties?.DefinitionString);
});

test('one function per kind of step, Node.js 24 on ARM, traced, with the secret ARN but no credentials', () => {
  template.resourceCountIs('AWS::Lambda::Function', STEP_HANDLERS.length);
  template.allResourcesProperties('AWS::Lambda::Function', {
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
    TracingConfig: { Mode: 'Active' },
    Environment: { Variables: Match.objectLike({ DATABASE_SECRET_ARN: Match.anyValue() }) },
  });
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const variables = Object.keys(
      (fn.Properties as { Environment: { Variables: object } }).Environment.Variables,
    );
    expect(variables.filter((name) => /PASSWORD|DATABASE_URL/i.test(name))).toEqual([]);
  }
});

test('files are loaded by a Map of bounded concurrency', () => {
  expect(definition).toMatch(/\\"Load files\\":\{[^}]*\\"Type\\":\\"Map\\"/);
  expect(definition).toContain('\\"MaxConcurrency\\":2');
});

test('the state machine logs and traces, and times out', () => {
  template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
    TracingConfiguration: { Enabled: true },
    LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
  });
  expect(definition).toContain('\\"TimeoutSeconds\\":7200');
});

test('a rule starts a run every day at 02:00 UTC for yesterday', () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'cron(0 2 * * ? *)',
    Targets: [Match.objectLike({ Input: JSON.stringify({ asOf: 'yesterday', trigger: 'schedule' }) })],
  });
});

test('the landing bucket is private, encrypted, versioned and TLS-only', () => {
  template.hasResourceProperties('AWS::S3::Bucket', {
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    VersioningConfiguration: { Status: 'Enabled' },
    BucketEncryption: Match.objectLike({}),
  });
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    },
  });
});

test('a run whose execution ends without recording it is closed by a rule on the execution status', () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: Match.objectLike({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: Match.objectLike({ status: ['FAILED', 'TIMED_OUT', 'ABORTED'] }),
    }),
  });
});

test('functions verify the database certificate and stop their statements before their own timeout', () => {
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const properties = fn.Properties as {
      Timeout: number;
      Environment: { Variables: Record<string, string> };
    };
    expect(properties.Environment.Variables.NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
    expect(Number(properties.Environment.Variables.STATEMENT_TIMEOUT_MS)).toBe(
      properties.Timeout * 1000 - 30_000,
    );
  }
});

test('a secret under a key of its own gives the functions kms:Decrypt on that key', () => {
  const app = new App({
    context: {
      'aws:cdk:bundling-stacks': [],
      databaseSecretArn: 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:pipeline-db-AbCdEf',
      databaseSecretKeyArn: 'arn:aws:kms:eu-central-1:111111111111:key/00000000-0000-0000-0000-000000000000',
    },
    builtinCloudFormationValidation: false,
  });
  const withKey = Template.fromStack(addStacks(app).pipeline);
  withKey.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: 'kms:Decrypt',
          Resource: 'arn:aws:kms:eu-central-1:111111111111:key/00000000-0000-0000-0000-000000000000',
        }),
      ]),
    },
  });
});

test('landing files move to Infrequent Access, then Glacier, and their events reach EventBridge', () => {
  template.hasResourceProperties('AWS::S3::Bucket', {
    VersioningConfiguration: { Status: 'Enabled' },
    LifecycleConfiguration: {
      Rules: [
        Match.objectLike({
          Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
            { StorageClass: 'GLACIER', TransitionInDays: 90 },
          ],
        }),
      ],
    },
    NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'landing/' }),
  });
});

test('a database of your own: one secret for every step by default, or a login per job by name', () => {
  const secretOf = (t: Template) =>
    Object.fromEntries(
      Object.entries(t.findResources('AWS::Lambda::Function')).map(([id, fn]) => [
        id.replace(/^Pipeline|[0-9A-F]{8}$/g, ''),
        JSON.stringify(fn.Properties.Environment.Variables.DATABASE_SECRET_ARN),
      ]),
    );
  const shared = new Set(Object.values(secretOf(template)));
  expect(shared.size).toBe(1);
  expect([...shared][0]).toContain('saas-pipeline/database');

  const app = new App({
    context: {
      'aws:cdk:bundling-stacks': [],
      databaseSecretName: 'warehouse/owner',
      loaderSecretName: 'warehouse/loader',
      transformerSecretName: 'warehouse/transformer',
      eraserSecretName: 'warehouse/eraser',
    },
    builtinCloudFormationValidation: false,
  });
  const perJob = secretOf(Template.fromStack(addStacks(app).pipeline));
  for (const [step, secret] of Object.entries(perJob))
    expect({ step, secret }).toEqual({
      step,
      secret: expect.stringContaining(
        ['LoadFile', 'ListNewFiles'].includes(step)
          ? 'warehouse/loader'
          : step === 'EraseRequested'
            ? 'warehouse/eraser'
            : 'warehouse/transformer',
      ),
    });
  expect(Object.keys(perJob)).toHaveLength(STEP_HANDLERS.length);
});

test('staging settings from the context reach the stage function, and a bad one fails the synth', () => {
  const app = new App({
    context: {
      'aws:cdk:bundling-stacks': [],
      minEventTimestamp: '2020-01-01',
      stagingBatchMaxLines: '1000000',
    },
    builtinCloudFormationValidation: false,
  });
  const template = Template.fromStack(addStacks(app).pipeline);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Description: 'Type, validate and deduplicate loaded files',
    Environment: {
      Variables: Match.objectLike({
        MIN_EVENT_TIMESTAMP: '2020-01-01T00:00:00Z',
        STAGING_BATCH_MAX_LINES: '1000000',
      }),
    },
  });
  const bad = new App({ context: { 'aws:cdk:bundling-stacks': [], minEventTimestamp: 'last year' } });
  expect(() => addStacks(bad)).toThrow(/minEventTimestamp must be a date/);
});

test('the reporting time zone from the context reaches Start run, canonical, and an unknown one fails the synth', () => {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], reportingTimeZone: 'europe/berlin' },
    builtinCloudFormationValidation: false,
  });
  Template.fromStack(addStacks(app).pipeline).hasResourceProperties('AWS::Lambda::Function', {
    Description: 'Check that the schema and the time zone are current and record a new run',
    Environment: { Variables: Match.objectLike({ REPORTING_TIME_ZONE: 'Europe/Berlin' }) },
  });
  // Without the setting, no variable: UTC.
  template.hasResourceProperties('AWS::Lambda::Function', {
    Description: 'Check that the schema and the time zone are current and record a new run',
    Environment: { Variables: Match.objectLike({ REPORTING_TIME_ZONE: Match.absent() }) },
  });
  const bad = new App({ context: { 'aws:cdk:bundling-stacks': [], reportingTimeZone: 'Berlin time' } });
  expect(() => addStacks(bad)).toThrow(/reportingTimeZone must be an IANA time zone/);
});

test('the loading functions read and list both landing prefixes, native and Segment, and nothing else', () => {
  const policies = template.findResources('AWS::IAM::Policy');
  const statements = Object.values(policies).flatMap(
    (policy) =>
      (
        policy as {
          Properties: { PolicyDocument: { Statement: { Action: unknown; Condition?: unknown }[] } };
        }
      ).Properties.PolicyDocument.Statement,
  );
  const listing = statements.filter(
    (statement) =>
      statement.Action === 's3:ListBucket' &&
      !JSON.stringify(statement.Condition).includes('erasure-requests/'),
  );
  expect(listing.length).toBeGreaterThanOrEqual(2);
  for (const statement of listing)
    expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': ['events/*', 'segment-logs/*'] } });
  const functions = template.findResources('AWS::Lambda::Function');
  const prefixes = Object.values(functions)
    .map(
      (fn) =>
        (fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties
          .Environment?.Variables?.LANDING_PREFIXES,
    )
    .filter((value) => value !== undefined);
  expect(prefixes).toEqual(['events/,segment-logs/', 'events/,segment-logs/']);
});

test('the erasure function lists, reads and deletes request files under erasure-requests/ only, and no landing file', () => {
  const functions = template.findResources('AWS::Lambda::Function');
  const [eraseId] = Object.keys(functions).filter((id) => id.startsWith('PipelineEraseRequested'));
  const role = (functions[eraseId ?? ''] as { Properties: { Role: { 'Fn::GetAtt': string[] } } }).Properties
    .Role['Fn::GetAtt'][0];
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      JSON.stringify((policy as { Properties: { Roles: unknown } }).Properties.Roles).includes(role ?? '?'),
    )
    .flatMap(
      (policy) =>
        (
          policy as {
            Properties: {
              PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[] };
            };
          }
        ).Properties.PolicyDocument.Statement,
    )
    .filter((statement) => JSON.stringify(statement.Action).includes('s3:'));
  expect(statements).toHaveLength(2);
  const [objects, listing] = statements;
  expect(objects?.Action).toEqual(['s3:GetObject', 's3:DeleteObject', 's3:DeleteObjectVersion']);
  expect(JSON.stringify(objects?.Resource)).toContain('/erasure-requests/*');
  expect(JSON.stringify(objects?.Resource)).not.toContain('events/');
  expect(listing).toMatchObject({
    Action: 's3:ListBucket',
    Condition: { StringLike: { 's3:prefix': ['erasure-requests/*'] } },
  });
});

test('the load concurrency is a stack setting: the Map takes that many files at once, and a bad one fails the synth', () => {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], loadConcurrency: '8' },
    builtinCloudFormationValidation: false,
  });
  const json = JSON.stringify(Template.fromStack(addStacks(app).pipeline).toJSON());
  expect(json).toContain('\\"MaxConcurrency\\":8');
  for (const bad of ['0', '41', 'many']) {
    const refused = new App({ context: { 'aws:cdk:bundling-stacks': [], loadConcurrency: bad } });
    expect(() => addStacks(refused)).toThrow(/loadConcurrency must be/);
  }
});
