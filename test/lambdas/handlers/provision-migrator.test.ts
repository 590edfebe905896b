import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createProvisionMigratorHandler,
  readLoginSecret,
} from '../../../lambdas/handlers/provision-migrator';

// The database side of the bootstrap is in test/lambdas/warehouse/logins.test.ts and, with the
// migration after it, in migrate-schema.test.ts; here, what the handler reads from Secrets Manager.
const ARN = 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:MigratorLogin-AbCdEf';
afterEach(() => jest.restoreAllMocks());

function secretValue(fields: Record<string, unknown>, versionId = 'version-1') {
  return jest
    .spyOn(SecretsManagerClient.prototype, 'send')
    .mockImplementation(async () => ({ ARN, VersionId: versionId, SecretString: JSON.stringify(fields) }));
}

test('a login secret gives its username and password, and its ARN and version seed the salt', async () => {
  secretValue({ host: 'db', port: '5432', dbname: 'analytics', username: 'pipeline_migrate', password: 'p' });
  expect(await readLoginSecret(ARN)).toEqual({
    username: 'pipeline_migrate',
    password: 'p',
    saltSeed: `${ARN}\nversion-1`,
  });
  secretValue({ username: 'pipeline_migrate', password: 'p' }, 'version-2');
  expect((await readLoginSecret(ARN)).saltSeed).toBe(`${ARN}\nversion-2`);
});

test('a secret without a username or password is an error that names the secret, not its values', async () => {
  secretValue({ username: 'pipeline_migrate', password: '', host: 'secret-host.example' });
  const error = await readLoginSecret(ARN).catch((e: Error) => e);
  expect(String(error)).toContain(`Login secret ${ARN} lacks username or password`);
  expect(String(error)).not.toContain('secret-host');
});

test('deleting the stack reads no secret and touches no database', async () => {
  const readMigrator = jest.fn();
  const pool = jest.fn();
  const handler = createProvisionMigratorHandler({ pool }, readMigrator);
  expect(await handler({ RequestType: 'Delete', PhysicalResourceId: 'pipeline-migrator' })).toEqual({
    PhysicalResourceId: 'pipeline-migrator',
  });
  expect(readMigrator).not.toHaveBeenCalled();
  expect(pool).not.toHaveBeenCalled();
});
