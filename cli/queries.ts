import type { Queryable } from '../lambdas/warehouse/db';
import { runSqlFile, type SqlParams } from '../lambdas/warehouse/sql-files';

/** The rows of one query in sql/queries (`status/recent_runs`), its `:name` values bound as parameters. */
export async function queryRows<R extends Record<string, unknown> = Record<string, unknown>>(
  db: Queryable,
  query: string,
  params: SqlParams = {},
): Promise<R[]> {
  const [result, ...more] = await runSqlFile(db, `queries/${query}.sql`, params);
  if (!result || more.length > 0) throw new Error(`sql/queries/${query}.sql must hold exactly one query`);
  return result.rows as R[];
}
