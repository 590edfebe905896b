import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createMigrateSchemaHandler } from '../../../lambdas/handlers/migrate-schema';
import { createTestDatabase, type TestDatabase } from '../../support/database';

let db: TestDatabase;
const login = {
  username: `bi_reader_${randomBytes(3).toString('hex')}`,
  password: randomBytes(12).toString('hex'),
};
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db.pool.query(`drop role if exists ${login.username}`).catch(() => undefined);
  await db.drop();
});

const deps = () => ({
  pool: async () => db.pool,
  s3: () => undefined as never,
  landing: { bucket: 'landing', prefix: 'events/' },
});

test('deploying creates the schema and a BI login that can read analytics but not raw', async () => {
  const handler = createMigrateSchemaHandler(deps(), async () => login);
  const created = await handler({ RequestType: 'Create' });
  expect(created).toEqual({ PhysicalResourceId: 'warehouse-schema', Data: { applied: expect.any(Number) } });
  expect(created.Data?.applied).toBeGreaterThan(5);

  const url = new URL(db.url);
  url.username = login.username;
  url.password = login.password;
  const bi = new pg.Client({ connectionString: url.toString() });
  await bi.connect();
  try {
    await expect(bi.query('select count(*) from analytics.daily_active_users')).resolves.toBeDefined();
    await expect(bi.query('select count(*) from raw.events')).rejects.toThrow(/permission denied/);
  } finally {
    await bi.end();
  }
});

test('deploying again applies nothing new and keeps the login; deleting the stack leaves the data', async () => {
  const handler = createMigrateSchemaHandler(deps(), async () => login);
  expect(await handler({ RequestType: 'Update', PhysicalResourceId: 'warehouse-schema' })).toMatchObject({
    Data: { applied: 0 },
  });
  expect(await handler({ RequestType: 'Delete', PhysicalResourceId: 'warehouse-schema' })).toEqual({
    PhysicalResourceId: 'warehouse-schema',
  });
  const { rows } = await db.pool.query(`select count(*)::integer as n from ops.schema_migrations`);
  expect(rows[0].n).toBeGreaterThan(5);
});
