import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createMigrateSchemaHandler } from '../../../lambdas/handlers/migrate-schema';
import { createProvisionMigratorHandler } from '../../../lambdas/handlers/provision-migrator';
import { createPool, type Pool } from '../../../lambdas/warehouse/db';
import type { Login, PipelineLogins } from '../../../lambdas/warehouse/logins';
import { createTestDatabase, type TestDatabase } from '../../support/database';

// The deployment's two custom resources in order: the bootstrap as the master (here the test server's
// superuser), then the migration as the migrator it made. Every statement either sends is recorded,
// with its parameters, to show that no password travels in one. Role names are unique to this file.
const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const login = (name: string): Required<Login> => ({
  username: `${name}_${suffix}`,
  password: randomBytes(16).toString('hex'),
  saltSeed: `arn:aws:secretsmanager:test:${name}\nversion-1`,
});
const migrator = login('pipeline_migrate');
const logins = {
  loader: login('pipeline_load'),
  transformer: login('pipeline_transform'),
  eraser: login('pipeline_erase'),
  reader: login('bi_reader'),
} satisfies PipelineLogins;
const passwords = [migrator, ...Object.values(logins)].map((l) => l.password);

let db: TestDatabase;
let migratorPool: Pool;
const sent: string[] = [];
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  record(db.pool);
  migratorPool = record(createPool(urlAs(migrator.username), 2));
});
afterAll(async () => {
  await migratorPool.end();
  await db.drop();
  const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  for (const name of [...Object.values(logins), migrator].map((l) => l.username))
    await admin.query(`drop role if exists ${name}`);
  await admin.end();
});

function urlAs(username: string): string {
  const url = new URL(db.url);
  url.username = username;
  return url.toString();
}

/** Records the text and parameters of every statement sent through the pool or its clients. */
function record(pool: Pool): Pool {
  const wrap = <Q extends (...args: never[]) => unknown>(query: Q): Q =>
    ((...args: Parameters<Q>) => {
      sent.push(JSON.stringify(args));
      return query(...args);
    }) as Q;
  pool.query = wrap(pool.query.bind(pool));
  const wrapped = new WeakSet<pg.PoolClient>();
  const connect = pool.connect.bind(pool);
  // pool.query checks a client out with a callback, and is recorded above; checked-out clients here.
  pool.connect = ((callback?: Parameters<typeof connect>[0]) => {
    if (callback) return connect(callback);
    return connect().then((client) => {
      if (!wrapped.has(client)) {
        client.query = wrap(client.query.bind(client));
        wrapped.add(client);
      }
      return client;
    });
  }) as typeof pool.connect;
  return pool;
}

const bootstrap = createProvisionMigratorHandler({ pool: async () => db.pool }, async () => migrator);
const deploy = createMigrateSchemaHandler({ pool: async () => migratorPool }, async () => logins);

test('deploying creates the migrator, the schema and a BI login that can read analytics but not raw', async () => {
  expect(await bootstrap({ RequestType: 'Create' })).toEqual({
    PhysicalResourceId: 'pipeline-migrator',
    Data: { handedOver: 0 },
  });
  const created = await deploy({ RequestType: 'Create' });
  expect(created).toEqual({
    PhysicalResourceId: 'warehouse-schema',
    Data: { applied: expect.any(Number), logins: 4 },
  });
  expect(created.Data?.applied).toBeGreaterThan(5);

  const owner = await db.pool.query(
    `select pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = 'raw'`,
  );
  expect(owner.rows[0].owner).toBe(migrator.username);

  const bi = new pg.Client({ connectionString: urlAs(logins.reader.username) });
  await bi.connect();
  try {
    await expect(bi.query('select count(*) from analytics.daily_active_users')).resolves.toBeDefined();
    await expect(bi.query('select count(*) from raw.events')).rejects.toThrow(/permission denied/);
  } finally {
    await bi.end();
  }
});

test('deploying again applies nothing new and keeps the logins; deleting the stack leaves them and the data', async () => {
  const verifiers = async () =>
    (
      await db.pool.query(
        `select rolname, rolpassword from pg_authid where rolname like '%\\_${suffix}' order by 1`,
      )
    ).rows;
  const before = await verifiers();
  expect(before).toHaveLength(5);
  expect(await bootstrap({ RequestType: 'Update', PhysicalResourceId: 'pipeline-migrator' })).toMatchObject({
    Data: { handedOver: 0 },
  });
  expect(await deploy({ RequestType: 'Update', PhysicalResourceId: 'warehouse-schema' })).toMatchObject({
    Data: { applied: 0, logins: 4 },
  });
  expect(await verifiers()).toEqual(before);

  expect(await deploy({ RequestType: 'Delete', PhysicalResourceId: 'warehouse-schema' })).toEqual({
    PhysicalResourceId: 'warehouse-schema',
  });
  expect(await bootstrap({ RequestType: 'Delete', PhysicalResourceId: 'pipeline-migrator' })).toEqual({
    PhysicalResourceId: 'pipeline-migrator',
  });
  const { rows } = await db.pool.query(`select count(*)::integer as n from ops.schema_migrations`);
  expect(rows[0].n).toBeGreaterThan(5);
  expect(await verifiers()).toEqual(before);
});

test('no statement either handler sent carries a password, only SCRAM verifiers', () => {
  const passwordStatements = sent.filter((text) => /\bpassword\b/i.test(text));
  expect(passwordStatements.length).toBeGreaterThanOrEqual(2 * 5);
  for (const text of passwordStatements) expect(text).toMatch(/password 'SCRAM-SHA-256\$4096:/);
  for (const password of passwords) expect(sent.filter((text) => text.includes(password))).toEqual([]);
});

test('a secret that cannot be read changes nothing', async () => {
  const failing = createMigrateSchemaHandler({ pool: async () => migratorPool }, async () => {
    throw new Error('AccessDeniedException');
  });
  const count = sent.length;
  await expect(failing({ RequestType: 'Update', PhysicalResourceId: 'warehouse-schema' })).rejects.toThrow(
    'AccessDeniedException',
  );
  expect(sent.length).toBe(count);
});
