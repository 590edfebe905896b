import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { type Pool, type PoolClient, type Queryable, withTransaction } from './db';
import { SCHEMA_MODELS, type SchemaModelSpec } from './schema-models';
import { applySeeds, listSeeds, type Seed, staleSeeds } from './seeds';
import { readSql, sqlDir } from './sql-files';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly file: string;
  readonly checksum: string;
  readonly sql: string;
}

/** A view, materialized view or function, as the file that creates it (sql/models/<layer>/<name>.sql). */
export interface SchemaModel extends SchemaModelSpec {
  /** Relative to sql/: `models/staging/raw_events_checked.sql`. */
  readonly file: string;
  readonly checksum: string;
  readonly sql: string;
}

/** What the migrator makes of a database: migrations run once, in order, then the schema models, then the seeds. */
export interface Schema {
  readonly migrations: readonly Migration[];
  readonly models: readonly SchemaModel[];
  /** The tables users edit as files (sql/seeds); none when not given. */
  readonly seeds?: readonly Seed[];
}

const checksumOf = (sql: string): string => createHash('sha256').update(sql).digest('hex');

/** Migrations are `sql/migrations/NNNN_name.sql`, applied in version order. */
export function listMigrations(): Migration[] {
  const migrations = readdirSync(path.join(sqlDir(), 'migrations'))
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readSql(`migrations/${file}`);
      return {
        version: Number(file.slice(0, 4)),
        name: file.slice(5, -4),
        file,
        checksum: checksumOf(sql),
        sql,
      };
    });
  const clash = migrations.find((migration, i) => migrations[i - 1]?.version === migration.version);
  if (clash) throw new Error(`Two migrations share version ${clash.version}: rename ${clash.file}`);
  return migrations;
}

/** A schema model from its text; `listModels` reads the project's from sql/models. */
export function schemaModel(name: string, sql: string, dependsOn: readonly string[] = []): SchemaModel {
  return { name, dependsOn, file: `models/${name}.sql`, checksum: checksumOf(sql), sql };
}

/**
 * The schema models in SCHEMA_MODELS order, each read from its file. Every file in sql/models/<layer>/
 * must be in the list, and every entry must have its file: a model the migrator does not know of would
 * silently never be applied.
 */
export function listModels(specs: readonly SchemaModelSpec[] = SCHEMA_MODELS): SchemaModel[] {
  const root = path.join(sqlDir(), 'models');
  const files = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((layer) =>
      readdirSync(path.join(root, layer.name))
        .filter((file) => file.endsWith('.sql'))
        .map((file) => `${layer.name}/${file.slice(0, -4)}`),
    );
  const listed = new Set(specs.map((spec) => spec.name));
  const unlisted = files.filter((name) => !listed.has(name));
  if (unlisted.length > 0)
    throw new Error(
      `sql/models has files SCHEMA_MODELS does not list (lambdas/warehouse/schema-models.ts): ${unlisted.join(', ')}`,
    );
  const missing = specs.filter((spec) => !files.includes(spec.name));
  if (missing.length > 0)
    throw new Error(
      `SCHEMA_MODELS lists models with no file in sql/models: ${missing.map((m) => m.name).join(', ')}`,
    );
  return specs.map((spec) => schemaModel(spec.name, readSql(`models/${spec.name}.sql`), spec.dependsOn));
}

/** The project's migrations, schema models and seeds. */
export function loadSchema(): Schema {
  return { migrations: listMigrations(), models: listModels(), seeds: listSeeds() };
}

/** Every model's dependencies come before it, once: the order of the list is the order of applying. */
function checkModelOrder(models: readonly SchemaModel[]): void {
  const seen = new Set<string>();
  for (const model of models) {
    if (seen.has(model.name)) throw new Error(`Schema model ${model.name} is listed twice`);
    const late = model.dependsOn.filter((name) => !seen.has(name));
    if (late.length > 0)
      throw new Error(`Schema model ${model.name} depends on ${late.join(', ')}, which must come before it`);
    seen.add(model.name);
  }
}

/**
 * The models to apply, in order: those not recorded with their current checksum (all of them when
 * `all`), and every model that depends on one of those. The list is in dependency order, so one pass
 * reaches dependants of dependants.
 */
function modelsToApply(
  models: readonly SchemaModel[],
  recorded: ReadonlyMap<string, string>,
  all: boolean,
): SchemaModel[] {
  const apply = new Set<string>();
  for (const model of models) {
    if (all || recorded.get(model.name) !== model.checksum || model.dependsOn.some((name) => apply.has(name)))
      apply.add(model.name);
  }
  return models.filter((model) => apply.has(model.name));
}

/**
 * Brings the schema up to date in one transaction, under an advisory lock that makes concurrent
 * callers take turns (two Lambdas starting at once do not both apply the same file): first the
 * migrations not yet recorded in `ops.schema_migrations`, then the schema models whose files changed
 * since `ops.schema_models` recorded them, with their dependants, in SCHEMA_MODELS order. After any
 * new migration every model is applied again. An upgrade applies whole or not at all. A recorded
 * migration whose file has changed is an error: change a table with a new migration, a view or a
 * function by editing its model. Then the seeds whose files changed are loaded (lambdas/warehouse/seeds.ts).
 * Returns the migration files, then the model files, then the seed files, it applied.
 */
export async function migrate(pool: Pool, schema: Schema = loadSchema()): Promise<{ applied: string[] }> {
  checkModelOrder(schema.models);
  const applied: string[] = [];
  await withTransaction(pool, async (client) => {
    await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:migrate'))`);
    await client.query(`
      create schema if not exists ops;
      create table if not exists ops.schema_migrations (
        version integer primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
    const migrations = await applyMigrations(client, schema.migrations);
    applied.push(...migrations);
    applied.push(...(await applyModels(client, schema.models, migrations.length > 0)));
    applied.push(...(await applySeeds(client, schema.seeds ?? [])));
  });
  return { applied };
}

async function applyMigrations(client: PoolClient, migrations: readonly Migration[]): Promise<string[]> {
  const done = await client.query<{ version: number; checksum: string }>(
    'select version, checksum from ops.schema_migrations',
  );
  const recorded = new Map(done.rows.map((row) => [row.version, row.checksum]));
  const applied: string[] = [];
  for (const migration of migrations) {
    const checksum = recorded.get(migration.version);
    if (checksum === migration.checksum) continue;
    if (checksum !== undefined) {
      throw new Error(
        `Migration ${migration.file} was changed after it was applied; add a new migration instead`,
      );
    }
    try {
      await client.query(migration.sql);
    } catch (error) {
      throw new Error(`Migration ${migration.file} failed: ${(error as Error).message}`, { cause: error });
    }
    await client.query('insert into ops.schema_migrations (version, name, checksum) values ($1, $2, $3)', [
      migration.version,
      migration.name,
      migration.checksum,
    ]);
    applied.push(migration.file);
  }
  return applied;
}

async function applyModels(
  client: PoolClient,
  models: readonly SchemaModel[],
  afterMigrations: boolean,
): Promise<string[]> {
  // A schema of migrations alone may stop short of the one that makes the record (a test of an old database).
  if (models.length === 0 && !(await hasModelRecord(client))) return [];
  const done = await client.query<{ name: string; checksum: string }>(
    'select name, checksum from ops.schema_models',
  );
  const recorded = new Map(done.rows.map((row) => [row.name, row.checksum]));
  const applied: string[] = [];
  for (const model of modelsToApply(models, recorded, afterMigrations)) {
    try {
      await client.query(model.sql);
    } catch (error) {
      throw new Error(`Schema model ${model.file} failed: ${(error as Error).message}`, { cause: error });
    }
    await client.query(
      `insert into ops.schema_models (name, checksum) values ($1, $2)
       on conflict (name) do update set checksum = excluded.checksum, applied_at = now()`,
      [model.name, model.checksum],
    );
    applied.push(model.file);
  }
  // A model taken out of the list leaves its object to a migration that drops it; its record goes, so
  // that a model of the same name added later is applied, whatever its checksum.
  await client.query('delete from ops.schema_models where name <> all($1::text[])', [
    models.map((model) => model.name),
  ]);
  return applied;
}

async function hasModelRecord(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(
    `select to_regclass('ops.schema_models') is not null as present`,
  );
  return rows[0]?.present === true;
}

export class SchemaOutOfDateError extends Error {
  constructor(detail: string) {
    super(
      `The warehouse schema is not the one this code expects (${detail}). Apply the migrations first: "saas-pipeline migrate", or deploy.`,
    );
    this.name = 'SchemaOutOfDateError';
  }
}

/**
 * Throws unless every migration this code has is applied, unchanged, every schema model is applied as
 * its file now reads, and every seed is loaded as its file now reads; for roles that may not migrate.
 */
export async function assertSchemaCurrent(db: Queryable, schema: Schema = loadSchema()): Promise<void> {
  let rows: { version: number; checksum: string }[];
  try {
    rows = (
      await db.query<{ version: number; checksum: string }>(
        'select version, checksum from ops.schema_migrations',
      )
    ).rows;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') throw new SchemaOutOfDateError('it has no migrations');
    throw error;
  }
  const applied = new Map(rows.map((row) => [row.version, row.checksum]));
  const missing = schema.migrations.filter(
    (migration) => applied.get(migration.version) !== migration.checksum,
  );
  // Before the migration that makes it, there is no record of models: none is applied.
  const models = (await hasModelRecord(db))
    ? (await db.query<{ name: string; checksum: string }>('select name, checksum from ops.schema_models'))
        .rows
    : [];
  const modelled = new Map(models.map((row) => [row.name, row.checksum]));
  const stale = schema.models.filter((model) => modelled.get(model.name) !== model.checksum);
  const unseeded = await staleSeeds(db, schema.seeds ?? []);
  const details = [
    ...(missing.length > 0 ? [`not applied or changed: ${missing.map((m) => m.file).join(', ')}`] : []),
    ...(stale.length > 0 ? [`models not applied or changed: ${stale.map((m) => m.file).join(', ')}`] : []),
    ...(unseeded.length > 0
      ? [`seeds not loaded or changed: ${unseeded.map((s) => s.file).join(', ')}`]
      : []),
  ];
  if (details.length > 0) throw new SchemaOutOfDateError(details.join('; '));
}
