import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { QueryResult } from 'pg';
import type { Queryable } from './db';

/**
 * The `sql/` folder: beside the repository's source tree (from the sources, or from the compiled CLI
 * in dist/), or copied next to a bundled Lambda handler.
 */
export function sqlDir(): string {
  const candidates = [
    path.resolve(__dirname, '../../sql'),
    path.resolve(__dirname, '../../../sql'),
    path.resolve(__dirname, 'sql'),
  ];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'migrations')));
  if (!found) throw new Error(`SQL folder not found; looked in ${candidates.join(', ')}`);
  return found;
}

const cache = new Map<string, string>();

export function readSql(relativePath: string): string {
  let text = cache.get(relativePath);
  if (text === undefined) {
    text = readFileSync(path.join(sqlDir(), relativePath), 'utf8');
    cache.set(relativePath, text);
  }
  return text;
}

/**
 * Splits a step's or a query's file into statements at a `;` that ends a line. Those files hold
 * plain DML, never dollar-quoted bodies (those live in migrations and schema models, which run whole).
 */
export function splitStatements(text: string): string[] {
  return text
    .split(/;[ \t]*(?:--[^\n]*)?$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.replace(/--[^\n]*/g, '').trim().length > 0);
}

export type SqlParams = Readonly<Record<string, unknown>>;

/**
 * Turns `:name` placeholders into `$n` bind parameters, so values never enter SQL text. A `::type`
 * cast is not a placeholder. A placeholder with no value is an error, not a silent null.
 */
export function bindNamed(statement: string, params: SqlParams): { text: string; values: unknown[] } {
  const names: string[] = [];
  // Comments may mention a parameter by name; they are dropped rather than bound.
  const text = statement
    .replace(/--[^\n]*/g, '')
    .replace(/(?<![:\w]):([a-z_][a-z0-9_]*)/g, (_match, name: string) => {
      if (!(name in params)) throw new Error(`SQL parameter :${name} has no value`);
      let index = names.indexOf(name);
      if (index < 0) index = names.push(name) - 1;
      return `$${index + 1}`;
    });
  return { text, values: names.map((name) => params[name]) };
}

/** Runs each statement of a `sql/` file in order and returns their results. */
export async function runSqlFile(
  db: Queryable,
  relativePath: string,
  params: SqlParams = {},
): Promise<QueryResult[]> {
  const results: QueryResult[] = [];
  for (const statement of splitStatements(readSql(relativePath))) {
    const { text, values } = bindNamed(statement, params);
    try {
      results.push(await db.query(text, values));
    } catch (error) {
      throw new SqlFileError(relativePath, error);
    }
  }
  return results;
}

export class SqlFileError extends Error {
  readonly code?: string;
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SqlFileError';
    this.code = (cause as { code?: string }).code;
  }
}
