import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { runOnce } from '../../cli/commands/run';
import { PROJECT_ROOT } from '../../common/project-root';
import { generate } from '../../generator';
import { SERVICE_NAME } from '../../lambdas/observability';
import { FAILURE_PLAN } from '../../lambdas/plan';
import { LOGIN_GROUPS, type PipelineLogin } from '../../lambdas/warehouse/login-names';
import { loadRunnerLibrary } from '../../local/state-machine-runner';
import {
  createTestDatabase,
  PUBLISHED_TABLES,
  snapshotTables,
  type TestDatabase,
  WAREHOUSE_TABLES,
} from '../support/database';
import { startTestS3, type TestS3 } from '../support/s3';
import { type SecretsManagerServer, startSecretsManagerServer } from '../support/secrets-manager-server';
import {
  type DeployedFunction,
  LOCAL_ACCOUNT,
  synthesizePipeline,
  type SynthesizedPipeline,
} from './cloud-assembly';
import { LambdaContainers } from './lambda-containers';
import { type LambdaApi, makeCertificate, startLambdaApi, startTlsFront, type TlsFront } from './stand-ins';

/*
 * Test what deploys. The CDK app is synthesized with bundling on, into a temporary cdk.out, and the
 * functions are run from there: each bundle's index.js, the SQL copied beside it, its handler and its
 * environment as the template gives them, under Node 24 (nodejs24.x), one container per concurrent
 * invocation. The deployment's own functions set up the warehouse (its logins, the schema), then the
 * state machine's definition from the template is executed by aws-local-stepfunctions, every Task
 * calling its function by ARN through a Lambda Invoke API that hands it to the bundle. The result must
 * equal what the in-process run (`saas-pipeline run`) builds from the same files.
 *
 * Real: PostgreSQL 15 (127.0.0.1:5432, a database of this file's own), the S3 API (s3rver), Node 24,
 * the bundles. Stand-ins, because AWS cannot be reached from here (see stand-ins.ts): the Lambda
 * service's Invoke API and runtime, Secrets Manager, and RDS's TLS in front of the local server. The
 * AWS SDK the runtime ships is stood in for by the project's own copy of @aws-sdk, and nothing else
 * of node_modules is visible to a bundle.
 */

const BUCKET = 'landing';
const AS_OF = '2024-01-10';
// Roles are shared by every database of the server: the logins get names of their own.
const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const LOGINS: Record<PipelineLogin, string> = {
  migrator: `pipeline_migrate_${suffix}`,
  loader: `pipeline_load_${suffix}`,
  transformer: `pipeline_transform_${suffix}`,
  eraser: `pipeline_erase_${suffix}`,
  reader: `bi_reader_${suffix}`,
};
const passwords = Object.fromEntries(
  Object.keys(LOGINS).map((kind) => [kind, randomBytes(18).toString('base64url')]),
) as Record<PipelineLogin, string>;

// This process's Lambda client (aws-local-stepfunctions') is pointed at the stand-in, and back after.
const LAMBDA_CLIENT_ENV = [
  'AWS_ENDPOINT_URL_LAMBDA',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
];
const savedEnv = Object.fromEntries(LAMBDA_CLIENT_ENV.map((name) => [name, process.env[name]]));

let work: string;
let app: SynthesizedPipeline;
let s3: TestS3;
let secrets: SecretsManagerServer;
let tls: TlsFront;
let containers: LambdaContainers;
let lambdaApi: LambdaApi;
let reference: TestDatabase;
let deployed: TestDatabase;
let node24: string;
/** Event files the generator wrote. */
let landedFiles: number;

beforeAll(async () => {
  node24 = execFileSync(path.join(PROJECT_ROOT, '.ci', 'node24'), { encoding: 'utf8' }).trim();
  work = await mkdtemp(path.join(tmpdir(), 'bundles-'));
  app = synthesizePipeline({ outdir: path.join(work, 'cdk.out'), landingBucket: BUCKET });
  s3 = await startTestS3([BUCKET]);
  ({ files: landedFiles } = await generate({
    from: '2024-01-01',
    to: AS_OF,
    seed: 23,
    users: 400,
    badRate: 0.02,
    s3: { client: s3.client, bucket: BUCKET },
  }));
  [reference, deployed] = await Promise.all([
    createTestDatabase({ migrate: false }),
    createTestDatabase({ migrate: false }),
  ]);
  const admin = new URL(process.env.TEST_ADMIN_DATABASE_URL as string);
  const certificate = makeCertificate(work);
  tls = await startTlsFront({ host: admin.hostname, port: Number(admin.port || 5432) }, certificate);
  secrets = await startSecretsManagerServer();
  const login = (username: string, password: string) => ({
    value: JSON.stringify({
      engine: 'postgres',
      host: '127.0.0.1',
      port: tls.port,
      dbname: deployed.name,
      username,
      password,
    }),
    versionId: 'version-1',
  });
  // The RDS master: the test server's superuser (it trusts loopback, so no password is checked).
  secrets.secrets.set(app.secretArns.master, login(admin.username || 'postgres', 'unused'));
  for (const kind of Object.keys(LOGINS) as PipelineLogin[])
    secrets.secrets.set(app.secretArns[kind], login(LOGINS[kind], passwords[kind]));

  // The runtime's SDK (the @aws-sdk packages alone), found through NODE_PATH as in Lambda.
  const runtimeModules = path.join(work, 'runtime', 'node_modules');
  await mkdir(runtimeModules, { recursive: true });
  await symlink(path.join(PROJECT_ROOT, 'node_modules', '@aws-sdk'), path.join(runtimeModules, '@aws-sdk'));
  containers = new LambdaContainers({
    node: node24,
    environment: () => ({
      NODE_PATH: runtimeModules,
      // In AWS, the RDS certificate authorities the runtime ships; here the TLS front's certificate.
      NODE_EXTRA_CA_CERTS: certificate.certFile,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      // The function role's credentials; s3rver accepts these.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    }),
  });
  lambdaApi = await startLambdaApi(app.functions, containers);
  // aws-local-stepfunctions invokes each Task's Resource with the AWS SDK's Lambda client.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_LAMBDA: lambdaApi.url,
    AWS_REGION: LOCAL_ACCOUNT.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
});

afterAll(async () => {
  for (const [name, value] of Object.entries(savedEnv))
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  await containers?.stopAll();
  await Promise.all([lambdaApi?.close(), tls?.close(), secrets?.close(), s3?.close()]);
  await Promise.all([reference?.drop(), deployed?.drop()]);
  const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  for (const name of Object.values(LOGINS)) await admin.query(`drop role if exists ${name}`);
  await admin.end();
  if (work) await rm(work, { recursive: true, force: true });
});

const byHandler = (handlerFile: string): DeployedFunction => {
  const fn = app.functions.find((candidate) => candidate.handlerFile === handlerFile);
  if (!fn) throw new Error(`No function of ${handlerFile} in the assembly`);
  return fn;
};

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

test('each function is a bundle of index.js, its source map and the SQL folder, needing only what the nodejs24.x runtime has', () => {
  const repositorySql = filesUnder(path.join(PROJECT_ROOT, 'sql'));
  expect(app.functions.map((fn) => fn.handlerFile).sort()).toEqual([
    'build-model',
    'check-quality',
    'erase-requested',
    'finish-run',
    'list-new-files',
    'load-file',
    'migrate-schema',
    'provision-migrator',
    'publish',
    'refresh-view',
    'set-as-of',
    'stage-events',
    'start-run',
  ]);
  const allowed = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
  for (const fn of app.functions) {
    expect({ fn: fn.handlerFile, runtime: fn.runtime, handler: fn.handler }).toEqual({
      fn: fn.handlerFile,
      runtime: 'nodejs24.x',
      handler: 'index.handler',
    });
    const files = filesUnder(fn.assetDir);
    expect(files.filter((file) => !file.startsWith('sql/'))).toEqual(['index.js', 'index.js.map']);
    expect(files.filter((file) => file.startsWith('sql/')).map((file) => file.slice(4))).toEqual(
      repositorySql,
    );
    // What the bundle still requires at run time must be Node's own or the runtime's SDK; pg-native is
    // required by pg only when asked for, inside a try.
    const code = readFileSync(path.join(fn.assetDir, 'index.js'), 'utf8');
    const required = new Set(
      [...code.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1] as string),
    );
    const foreign = [...required].filter(
      (name) => !allowed.has(name) && !name.startsWith('@aws-sdk/') && name !== 'pg-native',
    );
    expect({ fn: fn.handlerFile, foreign }).toEqual({ fn: fn.handlerFile, foreign: [] });
    // The functions run on Graviton (arm64): a bundle must hold no native code of this machine's.
    expect(fn.architectures).toEqual(['arm64']);
    expect(files.filter((file) => file.endsWith('.node'))).toEqual([]);
    // What the containers below replace: the RDS authorities the runtime ships, for the TLS front's.
    expect(fn.environment.NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
  }
});

describe('deployed and run from the bundles', () => {
  const executed: { state: string; resource: string }[] = [];

  test('the deployment functions create the logins and the schema, as the custom resources do', async () => {
    const event = (resourceType: string) => ({
      RequestType: 'Create',
      RequestId: randomBytes(8).toString('hex'),
      ResourceType: resourceType,
      LogicalResourceId: resourceType.split('::')[1],
      StackId: `arn:aws:cloudformation:${LOCAL_ACCOUNT.region}:${LOCAL_ACCOUNT.account}:stack/SaasAnalyticsPipeline/local`,
      ResourceProperties: { deployment: 'local' },
    });
    // In the order the template's DependsOn gives: the bootstrap (as the master), then the migration.
    const bootstrap = await containers.invoke(
      byHandler('provision-migrator'),
      event('Custom::WarehouseMigrator'),
    );
    expect(bootstrap).toEqual({
      ok: true,
      result: { PhysicalResourceId: 'pipeline-migrator', Data: { handedOver: 0 } },
    });
    const schema = await containers.invoke(byHandler('migrate-schema'), event('Custom::WarehouseSchema'));
    expect(schema).toMatchObject({
      ok: true,
      result: { PhysicalResourceId: 'warehouse-schema', Data: { logins: 4 } },
    });

    const { rows } = await deployed.pool.query<{ login: string; groups: string[] }>(
      `select r.rolname as login, array_agg(g.rolname::text order by g.rolname) as groups
       from pg_roles r join pg_auth_members m on m.member = r.oid join pg_roles g on g.oid = m.roleid
       where r.rolname = any($1) group by r.rolname`,
      [[LOGINS.loader, LOGINS.transformer, LOGINS.eraser, LOGINS.reader]],
    );
    expect(Object.fromEntries(rows.map((row) => [row.login, row.groups]))).toEqual({
      [LOGINS.loader]: [LOGIN_GROUPS.loader],
      [LOGINS.transformer]: [LOGIN_GROUPS.transformer],
      [LOGINS.eraser]: [LOGIN_GROUPS.eraser],
      [LOGINS.reader]: [LOGIN_GROUPS.reader],
    });
  });

  test('an execution with every Task a bundle under Node 24 builds the same warehouse as the in-process run', async () => {
    const written: string[] = [];
    const inProcess = await runOnce(
      {
        pool: reference.pool,
        url: reference.url,
        description: 'the reference',
        close: async () => undefined,
      },
      { client: s3.client, bucket: BUCKET, description: 's3rver', close: async () => undefined },
      { asOf: AS_OF },
      (text) => written.push(text),
    );
    expect(inProcess.execution).toMatchObject({ status: 'SUCCEEDED' });

    const result = await execute('bundles-run-1', { asOf: AS_OF, trigger: 'schedule' }, executed);
    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    const run = await deployed.pool.query(
      `select status, as_of_date from ops.runs where run_id = 'bundles-run-1'`,
    );
    expect(run.rows).toEqual([{ status: 'succeeded', as_of_date: AS_OF }]);

    const tables = ['raw.files', 'raw.events', 'raw.invalid_lines', ...WAREHOUSE_TABLES, ...PUBLISHED_TABLES];
    // Which run last touched a file is the run's id, different by design.
    const options = { ignoreLineage: true, ignore: ['last_run_id'] };
    const fromBundles = await snapshotTables(deployed.pool, tables, options);
    const fromProcess = await snapshotTables(reference.pool, tables, options);
    for (const table of tables)
      expect({ table, rows: fromBundles[table] }).toEqual({ table, rows: fromProcess[table] });
    expect(fromBundles['core.fact_events']?.length).toBeGreaterThan(1000);
    // The same steps, with the same rows, as each handler recorded them.
    const steps = (pool: pg.Pool) =>
      pool
        .query(`select step_name, status, row_count from ops.run_steps order by step_name`)
        .then((answer) => answer.rows);
    expect(await steps(deployed.pool)).toEqual(await steps(reference.pool));
  });

  test('every Task state ran its function from the assembly, once per run of the state, in Node 24', () => {
    // What the state machine ran, by the ARN in the definition, is exactly what the Lambda API received.
    expect([...lambdaApi.invoked].sort()).toEqual(executed.map((task) => task.resource).sort());
    const tasks = taskStates(app.definition);
    const ran = new Set(executed.map((task) => task.state));
    expect(tasks.filter((task) => !ran.has(task.state)).map((task) => task.state)).toEqual([
      FAILURE_PLAN.record.state,
    ]);
    const runs = (fn: DeployedFunction) => executed.filter((task) => task.resource === fn.arn).length;
    for (const fn of app.functions) {
      const record = containers.records.get(fn.logicalId);
      const deployment = fn.handlerFile === 'provision-migrator' || fn.handlerFile === 'migrate-schema';
      expect({ fn: fn.handlerFile, invocations: record?.invocations }).toEqual({
        fn: fn.handlerFile,
        invocations: deployment ? 1 : runs(fn),
      });
      expect([...(record?.nodeVersions ?? [])].every((version) => version.startsWith('v24.'))).toBe(true);
    }
    expect(executed.filter((task) => task.state === 'Load file')).toHaveLength(landedFiles);
    // Two loads at a time (MaxConcurrency 2), so at most two containers of load-file were needed.
    expect(containers.records.get(byHandler('load-file').logicalId)?.containers).toBeLessThanOrEqual(2);
    // Every database connection the bundles made went through TLS.
    expect(tls.counts).toMatchObject({ refused: 0 });
    expect(tls.counts.tls).toBeGreaterThan(0);
  });

  test('each bundle read its SQL from its own folder, and logged JSON lines without a password', () => {
    for (const fn of app.functions) {
      const record = containers.records.get(fn.logicalId);
      const own = path.join(fn.assetDir, 'sql') + path.sep;
      const read = [...(record?.sqlRead ?? [])];
      expect({ fn: fn.handlerFile, elsewhere: read.filter((file) => !file.startsWith(own)) }).toEqual({
        fn: fn.handlerFile,
        elsewhere: [],
      });
      for (const file of read) expect(existsSync(file)).toBe(true);
      // Powertools' JSON: log lines with the service and the run id, metrics as EMF documents.
      for (const line of record?.logLines ?? []) {
        const entry = JSON.parse(line) as { _aws?: unknown; service?: string; runId?: string };
        const shape = entry._aws
          ? 'metrics'
          : { service: entry.service, run: entry.runId?.startsWith('bundles-run-') };
        expect({ fn: fn.handlerFile, shape }).toEqual({
          fn: fn.handlerFile,
          shape: entry._aws ? 'metrics' : { service: SERVICE_NAME, run: true },
        });
        for (const password of Object.values(passwords)) expect(line).not.toContain(password);
      }
      expect({ fn: fn.handlerFile, stderr: record?.stderr }).toEqual({ fn: fn.handlerFile, stderr: [] });
    }
    const readers = app.functions.filter(
      (fn) => (containers.records.get(fn.logicalId)?.sqlRead.size ?? 0) > 0,
    );
    expect(readers.map((fn) => fn.handlerFile).sort()).toEqual(
      expect.arrayContaining(['build-model', 'check-quality', 'migrate-schema', 'publish', 'stage-events']),
    );
  });

  test('a run whose cold functions cannot read the loader secret fails at List new files, and Record failure records why', async () => {
    const loaderSecret = secrets.secrets.get(app.secretArns.loader);
    // Cold starts: no container holds a pool or a cached secret from the run before.
    await containers.stopAll();
    secrets.secrets.delete(app.secretArns.loader);
    const before = await snapshotTables(deployed.pool, WAREHOUSE_TABLES);
    try {
      const result = await execute('bundles-run-2', { asOf: AS_OF }, executed);
      expect(result).toMatchObject({ status: 'FAILED', error: 'ResourceNotFoundException' });
    } finally {
      if (loaderSecret) secrets.secrets.set(app.secretArns.loader, loaderSecret);
    }
    expect(executed.filter((task) => task.state === FAILURE_PLAN.record.state)).toHaveLength(1);
    const run = await deployed.pool.query(
      `select status, error from ops.runs where run_id = 'bundles-run-2'`,
    );
    expect(run.rows[0]?.status).toBe('failed');
    expect(run.rows[0]?.error).toMatch(/ResourceNotFoundException|can't find the specified secret/);
    expect(await snapshotTables(deployed.pool, WAREHOUSE_TABLES)).toEqual(before);
    expect(new Set(executed.map((task) => task.state))).toEqual(
      new Set(taskStates(app.definition).map((task) => task.state)),
    );
  });
});

interface AnyState {
  Type: string;
  Resource?: string;
  Branches?: { States: Record<string, AnyState> }[];
  ItemProcessor?: { States: Record<string, AnyState> };
}

/** Every Task state of the definition, in Map and Parallel states too, with the function it invokes. */
function taskStates(definition: StateMachineDefinition): { state: string; resource: string }[] {
  const found: { state: string; resource: string }[] = [];
  const visit = (states: Record<string, AnyState>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found.push({ state: name, resource: String(state.Resource) });
      for (const branch of state.Branches ?? []) visit(branch.States);
      if (state.ItemProcessor) visit(state.ItemProcessor.States);
    }
  };
  visit(definition.States as Record<string, AnyState>);
  return found;
}

/**
 * Executes the deployed definition with aws-local-stepfunctions and no local overrides: every Task
 * invokes its Resource through the Lambda API. Each Task state entered is noted with its function.
 * Retries wait no time here (the definition's back-off is for AWS).
 */
async function execute(
  name: string,
  input: Record<string, unknown>,
  executed: { state: string; resource: string }[],
): Promise<{ status: 'SUCCEEDED' | 'FAILED'; error?: string; cause?: string }> {
  const { StateMachine, ExecutionError } = await loadRunnerLibrary();
  const tasks = taskStates(app.definition);
  const resourceOf = new Map(tasks.map((task) => [task.state, task.resource]));
  const machine = new StateMachine(JSON.parse(JSON.stringify(app.definition)) as StateMachineDefinition);
  const json = input as Parameters<typeof machine.run>[0];
  const execution = machine.run(json, {
    overrides: { retryIntervalOverrides: Object.fromEntries(tasks.map((task) => [task.state, 0])) },
    context: {
      Execution: { Id: `local:${name}`, Name: name, StartTime: new Date().toISOString(), Input: json },
    },
  });
  const watching = (async () => {
    for await (const event of execution.eventLogs)
      if ('state' in event && event.type === 'StateEntered' && event.state.type === 'Task')
        executed.push({ state: event.state.name, resource: resourceOf.get(event.state.name) as string });
  })();
  try {
    await execution.result;
    await watching;
    return { status: 'SUCCEEDED' };
  } catch (error) {
    await watching.catch(() => undefined);
    if (!(error instanceof ExecutionError)) throw error;
    const cause = (error as Error & { cause?: { name?: string; message?: string } }).cause;
    return { status: 'FAILED', error: cause?.name ?? error.name, cause: cause?.message ?? error.message };
  }
}
