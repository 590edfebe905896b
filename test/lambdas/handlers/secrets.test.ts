import { capturedOutput } from '../../support/output';
import { awsDependencies, readDatabaseSecret } from '../../../lambdas/handlers/dependencies';
import { readLoginSecret } from '../../../lambdas/handlers/provision-migrator';
import { SecretReader } from '../../../lambdas/handlers/secrets';
import { asStepError } from '../../../lambdas/handlers/step';
import { logger } from '../../../lambdas/handlers/telemetry';
import { type SecretsManagerServer, startSecretsManagerServer } from '../../support/secrets-manager-server';

// AWS cannot be reached from here: Secrets Manager is a stand-in on loopback (test/support), which the
// real SDK client reaches through the standard AWS_ENDPOINT_URL_SECRETS_MANAGER variable, as a
// deployed bundle would.
const ARN = 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:TransformerLogin-AbCdEf';
const login = (password: string) =>
  JSON.stringify({
    host: 'db.internal',
    port: 5432,
    username: 'pipeline_transform',
    password,
    dbname: 'analytics',
  });

let server: SecretsManagerServer;
const saved = { ...process.env };
beforeAll(async () => {
  server = await startSecretsManagerServer();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: server.url,
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'stand-in',
    AWS_SECRET_ACCESS_KEY: 'stand-in',
    DATABASE_SECRET_ARN: ARN,
  });
});
afterAll(async () => {
  process.env = saved;
  await server.close();
});
beforeEach(() => {
  server.mode = 'ok';
  server.requests.length = 0;
  server.secrets.set(ARN, { value: login('first-password'), versionId: 'version-1' });
});

test('the database secret is fetched once, served from the cache within its maximum age, and fetched again after it', async () => {
  const reader = new SecretReader({ maxAgeSeconds: 1 });
  const pool = await awsDependencies(reader).pool();
  try {
    expect(server.requests).toEqual([ARN]);
    const password = pool.options.password as () => Promise<string>;
    expect(await password()).toBe('first-password');

    // Rotated: connections opened within the maximum age still use the cached password...
    server.secrets.set(ARN, { value: login('rotated-password'), versionId: 'version-2' });
    expect(await password()).toBe('first-password');
    expect(server.requests).toHaveLength(1);
    // ...and the first one after it the new one.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await password()).toBe('rotated-password');
    expect(await readDatabaseSecret(reader, ARN)).toMatchObject({
      host: 'db.internal',
      password: 'rotated-password',
    });
    expect(server.requests).toEqual([ARN, ARN]);
  } finally {
    await pool.end();
  }
});

test('a failed fetch is not cached: the next read asks again, and the error is the SDK’s', async () => {
  const reader = new SecretReader();
  server.mode = 'fail';
  const error = await readDatabaseSecret(reader, ARN).catch((e: Error) => e);
  expect(error).toMatchObject({ name: 'ResourceNotFoundException' });
  server.mode = 'ok';
  expect((await readDatabaseSecret(reader, ARN)).password).toBe('first-password');
  expect(server.requests).toEqual([ARN, ARN]);
});

test('a throttled fetch fails the step as transient, for the state machine to retry', async () => {
  const reader = new SecretReader();
  server.mode = 'fail';
  server.failWith = 'ThrottlingException';
  const error = await readDatabaseSecret(reader, ARN).catch((e: Error) => e);
  expect(error).toMatchObject({ name: 'ThrottlingException' });
  expect(asStepError(error).name).toBe('TransientError');
  // The SDK has already retried it.
  expect(server.requests.length).toBeGreaterThan(1);
}, 20_000);

test('a Secrets Manager that never answers fails the read within the timeout, as transient, and is not cached', async () => {
  const reader = new SecretReader({ timeoutMs: 300 });
  server.mode = 'hang';
  const started = Date.now();
  const error = await readDatabaseSecret(reader, ARN).catch((e: Error) => e);
  expect(error).toMatchObject({ name: 'TimeoutError' });
  expect(asStepError(error).name).toBe('TransientError');
  // Three attempts of 300 ms and the SDK's back-off, far from the function's minutes.
  expect(Date.now() - started).toBeLessThan(5_000);
  server.mode = 'ok';
  expect((await readDatabaseSecret(reader, ARN)).password).toBe('first-password');
});

test('a secret that is not JSON, or lacks a field, fails without showing its value', async () => {
  const reader = new SecretReader();
  server.secrets.set(ARN, { value: 'hunter2-not-json', versionId: 'v' });
  const notJson = await readDatabaseSecret(reader, ARN).catch((e: Error) => e);
  expect(String(notJson)).toContain(`Secret ${ARN} does not hold a JSON object`);
  expect(String(notJson)).not.toContain('hunter2');

  server.secrets.set(ARN, {
    value: JSON.stringify({ host: 'db.internal', password: 'hunter2' }),
    versionId: 'v',
  });
  const incomplete = await readDatabaseSecret(new SecretReader(), ARN).catch((e: Error) => e);
  expect(String(incomplete)).toContain('lacks username');
  expect(String(incomplete)).not.toContain('hunter2');
});

test('a login secret is read as it is now, with the version that seeds its salt, never from a cache', async () => {
  const reader = new SecretReader();
  expect(await readLoginSecret(ARN, reader)).toEqual({
    username: 'pipeline_transform',
    password: 'first-password',
    saltSeed: `${ARN}\nversion-1`,
  });
  server.secrets.set(ARN, { value: login('second-password'), versionId: 'version-2' });
  expect(await readLoginSecret(ARN, reader)).toMatchObject({
    password: 'second-password',
    saltSeed: `${ARN}\nversion-2`,
  });
  expect(server.requests).toEqual([ARN, ARN]);
});

test('reading secrets logs nothing of them, even at the most verbose level', async () => {
  logger.setLogLevel('TRACE');
  let written: string;
  try {
    written = await capturedOutput(async () => {
      const reader = new SecretReader();
      await readDatabaseSecret(reader, ARN);
      await readLoginSecret(ARN, reader);
      server.mode = 'fail';
      await readDatabaseSecret(new SecretReader(), ARN).catch(() => undefined);
    });
  } finally {
    logger.setLogLevel('SILENT');
  }
  expect(written).not.toContain('first-password');
});
