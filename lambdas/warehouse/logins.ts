import { createHash, randomBytes } from 'node:crypto';
import { type Pool, type PoolClient, withTransaction } from './db';
import { type GroupLogin, LOGIN_GROUPS, LOGIN_NAMES, type PipelineLogin } from './login-names';
import { SCRAM_VERIFIER, scramSha256Verifier } from './scram';

export { type GroupLogin, LOGIN_GROUPS, LOGIN_NAMES, type PipelineLogin } from './login-names';

/** The schemas that hold the pipeline's objects. */
export const PIPELINE_SCHEMAS = ['raw', 'staging', 'core', 'analytics', 'analytics_build', 'ops'] as const;

export interface Login {
  /** @default the production name of its kind, in LOGIN_NAMES */
  readonly username?: string;
  /** ASCII only (see scram.ts); never sent to the server, only its SCRAM verifier is. */
  readonly password: string;
  /**
   * Text that differs from one secret to the next and changes with the password (the handlers pass
   * the secret's ARN and version id). The verifier's salt is derived from it, so provisioning the same
   * secret again sets the very same verifier, and deploying twice changes nothing. Derived from public
   * data only, never from the password: a salt computed from the password would be a cheap hash of it
   * stored beside the verifier, bypassing the PBKDF2 iterations.
   * @default a random salt, new each time
   */
  readonly saltSeed?: string;
}

export type PipelineLogins = Readonly<Record<GroupLogin, Login>>;

/** The password as PostgreSQL is to store it: a SCRAM-SHA-256 secret, salted as Login.saltSeed says. */
export function loginVerifier(username: string, login: Login): string {
  const salt =
    login.saltSeed === undefined
      ? randomBytes(16)
      : createHash('sha256')
          .update(`saas-pipeline SCRAM salt\0${username}\0${login.saltSeed}`)
          .digest()
          .subarray(0, 16);
  const verifier = scramSha256Verifier(login.password, salt);
  // PostgreSQL treats a string that does not parse as a SCRAM secret as a password and hashes it: a
  // malformed verifier would silently become the password. It never is; this makes sure.
  if (!SCRAM_VERIFIER.test(verifier)) throw new Error('The SCRAM verifier is malformed');
  return verifier;
}

export interface BootstrapResult {
  readonly migrator: string;
  readonly created: boolean;
  /** Schemas and objects the connected login gave to the migrator: a warehouse from before it existed. */
  readonly handedOver: number;
}

/**
 * Run as the RDS master user, once per deployment: creates or updates the migration login (LOGIN
 * CREATEROLE, its password as a SCRAM verifier), lets it connect and create schemas in this
 * database, and gives it whatever the master still owns in the pipeline's schemas (a warehouse
 * migrated by the master before this login existed), with the master's default privileges there.
 * One transaction: it applies whole or not at all.
 */
export async function bootstrapMigrator(
  pool: Pool,
  migrator: Login,
  schemas: readonly string[] = PIPELINE_SCHEMAS,
): Promise<BootstrapResult> {
  const name = loginName('migrator', migrator);
  const verifier = loginVerifier(name, migrator);
  return withTransaction(pool, async (client) => {
    const self = await begin(client);
    if (name === self.name)
      throw new Error(`The migration login ${name} cannot be the login that creates it`);
    const existing = await roleAttributes(client, name);
    if (existing?.rolsuper) throw new Error(`Refusing to manage ${name}: it is a superuser`);
    await client.query(
      `${existing ? 'alter' : 'create'} role ${ident(name)} with login createrole password '${verifier}'`,
    );
    await client.query(`grant connect, create on database ${ident(self.database)} to ${ident(name)}`);
    const handedOver = await handOver(client, self, name, schemas);
    return { migrator: name, created: !existing, handedOver };
  });
}

export interface ProvisionedLogin {
  readonly username: string;
  readonly group: string;
  readonly created: boolean;
}

/**
 * Run as the migration login after the migrations: creates or updates the loader, transformer, eraser
 * and reader logins (LOGIN, passwords as SCRAM verifiers) and gives each its group role and no other of
 * the pipeline's. Refuses a name that belongs to a privileged role (a secret naming the master, say),
 * since CREATEROLE could otherwise change that role's password. One transaction.
 */
export async function provisionLogins(pool: Pool, logins: PipelineLogins): Promise<ProvisionedLogin[]> {
  const kinds = Object.keys(LOGIN_GROUPS) as GroupLogin[];
  const planned = kinds.map((kind) => {
    const username = loginName(kind, logins[kind]);
    return { username, group: LOGIN_GROUPS[kind], verifier: loginVerifier(username, logins[kind]) };
  });
  if (new Set(planned.map((login) => login.username)).size !== planned.length)
    throw new Error('The loader, transformer, eraser and reader logins must have different names');
  const groups = Object.values(LOGIN_GROUPS);

  return withTransaction(pool, async (client) => {
    const self = await begin(client);
    const provisioned: ProvisionedLogin[] = [];
    for (const { username, group, verifier } of planned) {
      if (username === self.name)
        throw new Error(`Refusing to manage ${username}: it is the login running this`);
      if (!(await roleAttributes(client, group)))
        throw new Error(`The group role ${group} does not exist: apply the migrations first`);
      const existing = await roleAttributes(client, username);
      const privileged = existing ? PRIVILEGED.filter((attribute) => existing[attribute]) : [];
      if (privileged.length > 0)
        throw new Error(
          `Refusing to manage ${username}: it has ${privileged.map((a) => ATTRIBUTE_NAMES[a]).join(', ')}, which no pipeline login has`,
        );
      // A role that holds another role (rds_superuser, pg_write_all_data, the migrator) is someone
      // else's: resetting its password would hand that role to whoever reads the secret.
      const foreign = await client.query<{ rolname: string }>(
        `select g.rolname from pg_auth_members as m
         inner join pg_roles as g on g.oid = m.roleid
         inner join pg_roles as u on u.oid = m.member
         where u.rolname = $1 and g.rolname <> all($2::text[])
         order by 1`,
        [username, groups],
      );
      if (foreign.rows.length > 0)
        throw new Error(
          `Refusing to manage ${username}: it is a member of ${foreign.rows.map((row) => row.rolname).join(', ')}, which no pipeline login is`,
        );
      await client.query(
        `${existing ? 'alter' : 'create'} role ${ident(username)} with login password '${verifier}'`,
      );
      const { rows } = await client.query<{ rolname: string }>(
        `select g.rolname
         from pg_auth_members as m
         inner join pg_roles as g on g.oid = m.roleid
         inner join pg_roles as u on u.oid = m.member
         where u.rolname = $1 and g.rolname = any($2::text[])`,
        [username, groups],
      );
      const held = new Set(rows.map((row) => row.rolname));
      if (!held.has(group)) await client.query(`grant ${ident(group)} to ${ident(username)}`);
      for (const other of groups.filter((g) => g !== group && held.has(g)))
        await client.query(`revoke ${ident(other)} from ${ident(username)}`);
      provisioned.push({ username, group, created: !existing });
    }
    return provisioned;
  });
}

const PRIVILEGED = ['rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolreplication', 'rolbypassrls'] as const;
const ATTRIBUTE_NAMES: Record<(typeof PRIVILEGED)[number], string> = {
  rolsuper: 'SUPERUSER',
  rolcreaterole: 'CREATEROLE',
  rolcreatedb: 'CREATEDB',
  rolreplication: 'REPLICATION',
  rolbypassrls: 'BYPASSRLS',
};
type RoleAttributes = Record<(typeof PRIVILEGED)[number], boolean>;

interface Session {
  readonly name: string;
  readonly database: string;
  readonly superuser: boolean;
}

/**
 * Takes turns with other provisioning in this database, and pins the search path so that object
 * names print schema-qualified; returns who is connected.
 */
async function begin(client: PoolClient): Promise<Session> {
  await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:logins'))`);
  await client.query('set local search_path = pg_catalog');
  const { rows } = await client.query<Session>(
    `select current_user as name, current_database() as database, r.rolsuper as superuser
     from pg_roles as r where r.rolname = current_user`,
  );
  const session = rows[0];
  if (!session) throw new Error('Could not read the connected role');
  return session;
}

async function roleAttributes(client: PoolClient, name: string): Promise<RoleAttributes | undefined> {
  const { rows } = await client.query<RoleAttributes>(
    `select ${PRIVILEGED.join(', ')} from pg_roles where rolname = $1`,
    [name],
  );
  return rows[0];
}

/**
 * Gives the migrator the schemas, and the objects in them, that the connected login owns, then its
 * default privileges there (which the migrations set and later migrations rely on: without them a new
 * table would not be granted to the pipeline's roles). Kinds: those the migrations create, and
 * sequences, types, domains and statistics objects. Indexes, identity sequences and row types go
 * with their tables.
 */
async function handOver(
  client: PoolClient,
  self: Session,
  migrator: string,
  schemas: readonly string[],
): Promise<number> {
  const owned = await client.query<{ kind: string; name: string }>(
    `with schemas as (select oid, nspname, nspowner from pg_namespace where nspname = any($1::text[])),
     me as (select oid from pg_roles where rolname = current_user)
     select 1 as position, 'schema' as kind, quote_ident(s.nspname) as name
     from schemas as s where s.nspowner = (select oid from me)
     union all
     select 2,
       case c.relkind
         when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence'
         when 'f' then 'foreign table' when 'c' then 'type' else 'table'
       end,
       c.oid::regclass::text
     from pg_class as c inner join schemas as s on s.oid = c.relnamespace
     where c.relowner = (select oid from me)
       and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f', 'c')
       and not exists (
         select 1 from pg_depend as d
         where c.relkind = 'S' and d.classid = 'pg_class'::regclass and d.objid = c.oid
           and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i'))
     union all
     select 3, 'routine', p.oid::regprocedure::text
     from pg_proc as p inner join schemas as s on s.oid = p.pronamespace
     where p.proowner = (select oid from me)
     union all
     select 4, case t.typtype when 'd' then 'domain' else 'type' end, t.oid::regtype::text
     from pg_type as t inner join schemas as s on s.oid = t.typnamespace
     where t.typowner = (select oid from me) and t.typtype in ('d', 'e', 'r')
     union all
     select 5, 'statistics', quote_ident(s.nspname) || '.' || quote_ident(x.stxname)
     from pg_statistic_ext as x inner join schemas as s on s.oid = x.stxnamespace
     where x.stxowner = (select oid from me)
     order by 1, 3`,
    [schemas],
  );
  const defaults = await client.query<{
    schema: string;
    objects: string;
    grantee: string;
    privileges: string;
    grantable: boolean;
  }>(
    `select n.oid::regnamespace::text as schema,
       case d.defaclobjtype
         when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions' when 'T' then 'types'
         else 'schemas'
       end as objects,
       case when a.grantee = 0 then 'public' else quote_ident(g.rolname) end as grantee,
       string_agg(a.privilege_type, ', ' order by a.privilege_type) as privileges,
       a.is_grantable as grantable
     from pg_default_acl as d
     inner join pg_namespace as n on n.oid = d.defaclnamespace
     cross join lateral aclexplode(d.defaclacl) as a
     left join pg_roles as g on g.oid = a.grantee
     where d.defaclrole = (select oid from pg_roles where rolname = current_user)
       and n.nspname = any($1::text[])
     group by 1, 2, 3, 5
     order by 1, 2, 3, 5`,
    [schemas],
  );
  if (owned.rows.length === 0 && defaults.rows.length === 0) return 0;

  // PostgreSQL 15 lets an owner give an object only to a role it is a member of, and RDS's master is
  // no superuser; the same membership lets it set the migrator's default privileges.
  if (!self.superuser) {
    const member = await client.query<{ member: boolean }>(`select pg_has_role($1, 'member') as member`, [
      migrator,
    ]);
    if (!member.rows[0]?.member) await client.query(`grant ${ident(migrator)} to ${ident(self.name)}`);
  }
  for (const { kind, name } of owned.rows)
    await client.query(`alter ${kind} ${name} owner to ${ident(migrator)}`);
  for (const entry of defaults.rows) {
    const what = `${entry.privileges} on ${entry.objects}`;
    await client.query(
      `alter default privileges for role ${ident(migrator)} in schema ${entry.schema} grant ${what} to ${entry.grantee}${entry.grantable ? ' with grant option' : ''}`,
    );
    await client.query(
      `alter default privileges for role ${ident(self.name)} in schema ${entry.schema} revoke ${what} from ${entry.grantee}`,
    );
  }
  return owned.rows.length;
}

function loginName(kind: PipelineLogin, login: Login): string {
  const name = login.username ?? LOGIN_NAMES[kind];
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
    throw new Error(`Login name ${JSON.stringify(name)} must be a plain lowercase identifier`);
  return name;
}

/** A quoted identifier; login names are plain ones already, but the database's name may be anything. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
