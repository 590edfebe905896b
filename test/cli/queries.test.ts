import { readdirSync } from 'node:fs';
import path from 'node:path';
import { queryRows } from '../../cli/queries';
import { sqlDir } from '../../lambdas/warehouse/sql-files';
import { createTestDatabase, type TestDatabase } from '../support/database';

// What the CLI prints comes from sql/queries/<command>/<what it returns>.sql, one query each.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const root = path.join(sqlDir(), 'queries');
const queries = readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((command) =>
    readdirSync(path.join(root, command.name)).map((file) => `${command.name}/${file.replace(/\.sql$/, '')}`),
  );

test('the CLI has its queries in files', () => {
  expect(queries).toEqual(
    expect.arrayContaining(['run/steps', 'status/recent_runs', 'summary/rows_per_layer']),
  );
});

test.each(queries)('%s is one query that runs on an empty warehouse', async (query) => {
  await expect(queryRows(db.pool, query, { run_id: 'no-such-run' })).resolves.toEqual(expect.any(Array));
});
