import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { type Pool, type Queryable, withTransaction } from './db';
import { readSql, sqlDir } from './sql-files';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly file: string;
  readonly checksum: string;
}

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
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
  const clash = migrations.find((migration, i) => migrations[i - 1]?.version === migration.version);
  if (clash) throw new Error(`Two migrations share version ${clash.version}: rename ${clash.file}`);
  return migrations;
}

/**
 * Applies the migrations not yet recorded in `ops.schema_migrations`, all in one transaction with
 * their records: an upgrade applies whole or not at all. An advisory lock makes concurrent callers take turns, so two Lambdas
 * starting at once do not both apply the same file. A recorded migration whose file has changed is
 * an error: edit the schema with a new migration instead.
 */
export async function migrate(pool: Pool): Promise<{ applied: string[] }> {
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
    const done = await client.query<{ version: number; checksum: string }>(
      'select version, checksum from ops.schema_migrations',
    );
    const recorded = new Map(done.rows.map((row) => [row.version, row.checksum]));
    for (const migration of listMigrations()) {
      const checksum = recorded.get(migration.version);
      if (checksum === migration.checksum) continue;
      if (checksum !== undefined) {
        throw new Error(
          `Migration ${migration.file} was changed after it was applied; add a new migration instead`,
        );
      }
      try {
        await client.query(readSql(`migrations/${migration.file}`));
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
  });
  return { applied };
}

export class SchemaOutOfDateError extends Error {
  constructor(detail: string) {
    super(
      `The warehouse schema is not the one this code expects (${detail}). Apply the migrations first: "saas-pipeline migrate", or deploy.`,
    );
    this.name = 'SchemaOutOfDateError';
  }
}

/** Throws unless every migration this code has is applied, unchanged; for roles that may not migrate. */
export async function assertSchemaCurrent(db: Queryable): Promise<void> {
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
  const missing = listMigrations().filter(
    (migration) => applied.get(migration.version) !== migration.checksum,
  );
  if (missing.length > 0)
    throw new SchemaOutOfDateError(`not applied or changed: ${missing.map((m) => m.file).join(', ')}`);
}
