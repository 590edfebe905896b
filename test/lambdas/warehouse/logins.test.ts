import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, type Pool } from '../../../lambdas/warehouse/db';
import {
  bootstrapMigrator,
  type Login,
  loginVerifier,
  PIPELINE_SCHEMAS,
  type PipelineLogins,
  provisionLogins,
} from '../../../lambdas/warehouse/logins';
import { migrate } from '../../../lambdas/warehouse/migrate';

// As on RDS: the "master" is a login with CREATEROLE and CREATEDB but no superuser, owning the
// database. The bootstrap runs connected as it, the migrations and the other logins as the migrator.
// Roles are cluster-wide, so every name here is unique to this process and scenario, and dropped after.

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the tests through jest');
  return url;
}

let admin: pg.Client;
const databases: string[] = [];
const roles: string[] = [];
const pools: Pool[] = [];

beforeAll(async () => {
  admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  for (const database of databases) await admin.query(`drop database if exists ${database} with (force)`);
  for (const role of roles.reverse()) await admin.query(`drop role if exists ${role}`);
  await admin.end();
});

interface Scenario {
  readonly database: string;
  readonly master: string;
  readonly migrator: Required<Login>;
  readonly logins: {
    loader: Required<Login>;
    transformer: Required<Login>;
    eraser: Required<Login>;
    reader: Required<Login>;
  };
  /** A pool connected to the scenario's database as `role` (the test server trusts local logins). */
  connect(role: string): Pool;
}

async function scenario(tag: string): Promise<Scenario> {
  const suffix = `${tag}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const login = (name: string): Required<Login> => ({
    username: `${name}_${suffix}`,
    password: randomBytes(16).toString('hex'),
    saltSeed: `secret:${name}:version-1`,
  });
  const master = `master_${suffix}`;
  const database = `saas_test_logins_${suffix}`;
  roles.push(master);
  await admin.query(`create role ${master} login createrole createdb`);
  databases.push(database);
  await admin.query(`create database ${database} owner ${master}`);
  const created: Scenario = {
    database,
    master,
    migrator: login('pipeline_migrate'),
    logins: {
      loader: login('pipeline_load'),
      transformer: login('pipeline_transform'),
      eraser: login('pipeline_erase'),
      reader: login('bi_reader'),
    },
    connect(role: string) {
      const url = new URL(adminUrl());
      url.username = role;
      url.password = '';
      url.pathname = `/${database}`;
      const pool = createPool(url.toString(), 2);
      pools.push(pool);
      return pool;
    },
  };
  roles.push(created.migrator.username, ...Object.values(created.logins).map((l) => l.username));
  return created;
}

/** Connected to the scenario's database as the superuser, to look at what the roles cannot. */
async function inspect<T>(s: Scenario, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(adminUrl());
  url.pathname = `/${s.database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Who owns what in the pipeline's schemas, by owner. */
async function ownersOfPipelineObjects(s: Scenario): Promise<Record<string, number>> {
  return inspect(s, async (client) => {
    const { rows } = await client.query<{ owner: string; n: number }>(
      `with schemas as (select oid, nspowner from pg_namespace where nspname = any($1::text[]))
       select pg_get_userbyid(owner) as owner, count(*)::integer as n
       from (
         select nspowner as owner from schemas
         union all select relowner from pg_class where relnamespace in (select oid from schemas)
         union all select proowner from pg_proc where pronamespace in (select oid from schemas)
       ) as owned
       group by 1`,
      [PIPELINE_SCHEMAS],
    );
    return Object.fromEntries(rows.map((row) => [row.owner, row.n]));
  });
}

/** Everything the catalog holds about the scenario's logins: attributes, verifiers, memberships. */
async function loginState(s: Scenario) {
  const names = [s.migrator, ...Object.values(s.logins)].map((login) => login.username);
  const authid = await admin.query(
    `select rolname, rolpassword, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb
     from pg_authid where rolname = any($1::text[]) order by rolname`,
    [names],
  );
  const members = await admin.query(
    `select pg_get_userbyid(member) as member, pg_get_userbyid(roleid) as role
     from pg_auth_members where pg_get_userbyid(member) = any($1::text[]) order by 1, 2`,
    [names],
  );
  return { authid: authid.rows, members: members.rows };
}

const groupsOf = async (s: Scenario, username: string): Promise<string[]> =>
  (
    await admin.query<{ role: string }>(
      `select pg_get_userbyid(roleid) as role from pg_auth_members
       where pg_get_userbyid(member) = $1 order by 1`,
      [username],
    )
  ).rows.map((row) => row.role);

describe('a new warehouse', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario('new');
  });

  test('the master creates the migrator, which migrates and owns every schema and object', async () => {
    const bootstrap = await bootstrapMigrator(s.connect(s.master), s.migrator);
    expect(bootstrap).toEqual({ migrator: s.migrator.username, created: true, handedOver: 0 });

    const migratorPool = s.connect(s.migrator.username);
    expect((await migrate(migratorPool)).applied.length).toBeGreaterThan(10);
    expect(await ownersOfPipelineObjects(s)).toEqual({ [s.migrator.username]: expect.any(Number) });
    const schemaOwners = await inspect(s, async (client) =>
      (
        await client.query(
          `select nspname, pg_get_userbyid(nspowner) as owner from pg_namespace
           where nspname = any($1::text[]) order by 1`,
          [PIPELINE_SCHEMAS],
        )
      ).rows.map((row) => [row.nspname, row.owner]),
    );
    expect(schemaOwners).toHaveLength(PIPELINE_SCHEMAS.length);
    for (const [, owner] of schemaOwners) expect(owner).toBe(s.migrator.username);
  });

  test('the migrator creates the four logins, with SCRAM verifiers and one group role each', async () => {
    const provisioned = await provisionLogins(s.connect(s.migrator.username), s.logins);
    expect(provisioned).toEqual([
      { username: s.logins.loader.username, group: 'saas_loader', created: true },
      { username: s.logins.transformer.username, group: 'saas_transformer', created: true },
      { username: s.logins.eraser.username, group: 'saas_eraser', created: true },
      { username: s.logins.reader.username, group: 'analytics_reader', created: true },
    ]);

    const { authid } = await loginState(s);
    for (const login of [s.migrator, ...Object.values(s.logins)]) {
      const row = authid.find((r) => r.rolname === login.username);
      expect(row?.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
      expect(row?.rolpassword).toBe(loginVerifier(login.username, login));
      expect(row).toMatchObject({ rolcanlogin: true, rolsuper: false, rolcreatedb: false });
      expect(row?.rolcreaterole).toBe(login === s.migrator);
    }
    expect(await groupsOf(s, s.logins.loader.username)).toEqual(['saas_loader']);
    expect(await groupsOf(s, s.logins.transformer.username)).toEqual(['saas_transformer']);
    expect(await groupsOf(s, s.logins.eraser.username)).toEqual(['saas_eraser']);
    expect(await groupsOf(s, s.logins.reader.username)).toEqual(['analytics_reader']);
  });

  test('each login can do its job and no other', async () => {
    const loader = s.connect(s.logins.loader.username);
    await expect(
      loader.query(
        `insert into raw.files (bucket, object_key, etag, status) values ('landing', 'events/x.gz', 'e', 'loading')`,
      ),
    ).resolves.toBeDefined();
    await expect(loader.query('select count(*) from core.fact_events')).rejects.toThrow(/permission denied/);

    const transformer = s.connect(s.logins.transformer.username);
    // A SECURITY DEFINER maintenance function: it runs as the owner, the migrator.
    await expect(transformer.query(`select ops.analyze_table('raw.events')`)).resolves.toBeDefined();
    await expect(transformer.query('select count(*) from staging.events')).resolves.toBeDefined();
    await expect(transformer.query(`insert into raw.events (file_id) values (1)`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(transformer.query('delete from raw.events')).rejects.toThrow(/permission denied/);

    // Only the eraser deletes from raw; it loads nothing and reads no audit but its own.
    const eraser = s.connect(s.logins.eraser.username);
    await expect(eraser.query('delete from raw.events where false')).resolves.toBeDefined();
    await expect(eraser.query('delete from core.fact_events where false')).resolves.toBeDefined();
    await expect(eraser.query(`insert into raw.events (file_id) values (1)`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(
      eraser.query('insert into core.fact_events select * from core.fact_events where false'),
    ).rejects.toThrow(/permission denied/);

    const reader = s.connect(s.logins.reader.username);
    await expect(reader.query('select count(*) from analytics.daily_active_users')).resolves.toBeDefined();
    await expect(reader.query('select count(*) from raw.events')).rejects.toThrow(/permission denied/);
  });

  test('provisioning again changes nothing', async () => {
    const before = await loginState(s);
    expect(await bootstrapMigrator(s.connect(s.master), s.migrator)).toMatchObject({
      created: false,
      handedOver: 0,
    });
    const again = await provisionLogins(s.connect(s.migrator.username), s.logins);
    expect(again.map((login) => login.created)).toEqual([false, false, false, false]);
    expect(await loginState(s)).toEqual(before);
  });

  test('a changed password sets a new verifier, and only for its login', async () => {
    const before = await loginState(s);
    const changed: PipelineLogins = {
      ...s.logins,
      loader: { ...s.logins.loader, password: randomBytes(16).toString('hex'), saltSeed: 'version-2' },
    };
    await provisionLogins(s.connect(s.migrator.username), changed);
    const after = await loginState(s);
    const verifier = (state: typeof before, name: string) =>
      state.authid.find((row) => row.rolname === name)?.rolpassword;
    expect(verifier(after, s.logins.loader.username)).not.toBe(verifier(before, s.logins.loader.username));
    expect(verifier(after, s.logins.loader.username)).toBe(
      loginVerifier(s.logins.loader.username, changed.loader),
    );
    expect(after.authid.filter((row) => row.rolname !== s.logins.loader.username)).toEqual(
      before.authid.filter((row) => row.rolname !== s.logins.loader.username),
    );

    const newMigratorPassword = { ...s.migrator, password: 'another-password', saltSeed: 'version-2' };
    await bootstrapMigrator(s.connect(s.master), newMigratorPassword);
    expect(verifier(await loginState(s), s.migrator.username)).toBe(
      loginVerifier(s.migrator.username, newMigratorPassword),
    );
  });

  test('a login that strays into another pipeline role is put back in its own', async () => {
    await admin.query(`grant saas_transformer to ${s.logins.loader.username}`);
    await provisionLogins(s.connect(s.migrator.username), s.logins);
    expect(await groupsOf(s, s.logins.loader.username)).toEqual(['saas_loader']);
  });

  test('a secret naming a privileged role, the migrator or one login twice is refused', async () => {
    const migratorPool = s.connect(s.migrator.username);
    const withReader = (username: string): PipelineLogins => ({
      ...s.logins,
      reader: { ...s.logins.reader, username },
    });
    await expect(provisionLogins(migratorPool, withReader(s.master))).rejects.toThrow(
      /Refusing to manage .*CREATEROLE, CREATEDB/,
    );
    await expect(provisionLogins(migratorPool, withReader(s.migrator.username))).rejects.toThrow(
      /it is the login running this/,
    );
    // No privileged attribute, but a member of a role that can write everything.
    const sneaky = `sneaky_${s.logins.reader.username}`;
    roles.push(sneaky);
    await admin.query(`create role ${sneaky} login`);
    await admin.query(`grant pg_write_all_data to ${sneaky}`);
    await expect(provisionLogins(migratorPool, withReader(sneaky))).rejects.toThrow(
      /it is a member of pg_write_all_data/,
    );
    await expect(provisionLogins(migratorPool, withReader(s.logins.loader.username))).rejects.toThrow(
      /different names/,
    );
    await expect(provisionLogins(migratorPool, withReader('Robert"; drop table x'))).rejects.toThrow(
      /plain lowercase identifier/,
    );
    await expect(
      bootstrapMigrator(s.connect(s.master), { ...s.migrator, username: s.master }),
    ).rejects.toThrow(/cannot be the login that creates it/);
  });
});

describe('a warehouse deployed before the migrator existed', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario('old');
    // Before this change every function logged in as the master, which ran the migrations and so owns
    // everything, and made the BI login with a password of its own.
    const masterPool = s.connect(s.master);
    await migrate(masterPool);
    await masterPool.query(`create role ${s.logins.reader.username} login password 'the-old-password'`);
    await masterPool.query(`grant analytics_reader to ${s.logins.reader.username}`);
  });

  test('the bootstrap gives the migrator what the master owned: schemas, objects, default privileges', async () => {
    const before = await ownersOfPipelineObjects(s);
    expect(Object.keys(before)).toEqual([s.master]);

    const bootstrap = await bootstrapMigrator(s.connect(s.master), s.migrator);
    expect(bootstrap.created).toBe(true);
    expect(bootstrap.handedOver).toBeGreaterThan(30);
    expect(await ownersOfPipelineObjects(s)).toEqual({ [s.migrator.username]: before[s.master] });

    const defaults = await inspect(s, async (client) =>
      (
        await client.query<{ owner: string }>(
          `select pg_get_userbyid(defaclrole) as owner from pg_default_acl
           where defaclnamespace in (select oid from pg_namespace where nspname = any($1::text[]))`,
          [PIPELINE_SCHEMAS],
        )
      ).rows.map((row) => row.owner),
    );
    expect(defaults.length).toBeGreaterThan(0);
    expect(new Set(defaults)).toEqual(new Set([s.migrator.username]));
  });

  test('the migrator then migrates, provisions the logins, and its new tables reach the pipeline roles', async () => {
    const migratorPool = s.connect(s.migrator.username);
    expect(await migrate(migratorPool)).toEqual({ applied: [] });
    const provisioned = await provisionLogins(migratorPool, s.logins);
    expect(provisioned.map((login) => login.created)).toEqual([true, true, true, false]);
    const { authid } = await loginState(s);
    expect(authid.find((row) => row.rolname === s.logins.reader.username)?.rolpassword).toBe(
      loginVerifier(s.logins.reader.username, s.logins.reader),
    );

    // What a later migration would do: the moved default privileges grant it to saas_transformer.
    await migratorPool.query('create table staging.later_migration (id integer)');
    const granted = await migratorPool.query<{ allowed: boolean }>(
      `select has_table_privilege('saas_transformer', 'staging.later_migration', 'insert') as allowed`,
    );
    expect(granted.rows[0]?.allowed).toBe(true);
    await migratorPool.query('drop table staging.later_migration');

    const transformer = s.connect(s.logins.transformer.username);
    await expect(transformer.query(`select ops.analyze_table('raw.events')`)).resolves.toBeDefined();
  });

  test('a second bootstrap finds nothing left to hand over', async () => {
    expect(await bootstrapMigrator(s.connect(s.master), s.migrator)).toEqual({
      migrator: s.migrator.username,
      created: false,
      handedOver: 0,
    });
  });
});
