// Finds the PostgreSQL the tests use: TEST_DATABASE_URL or DATABASE_URL if given, else the server on
// 127.0.0.1:5432 if one answers (CI), else an embedded PostgreSQL 15 (a laptop with nothing installed).
// Each test file then creates and drops a database of its own on that server.
import pg from 'pg';
import { createRequire } from 'node:module';
import path from 'node:path';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function globalSetup() {
  const given = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (given) {
    if (!(await reachable(given)))
      throw new Error(
        `TEST_DATABASE_URL/DATABASE_URL does not answer: ${given.replace(/:[^:@/]+@/, ':***@')}`,
      );
    process.env.TEST_ADMIN_DATABASE_URL = given;
    return;
  }
  if (await reachable(DEFAULT_URL)) {
    process.env.TEST_ADMIN_DATABASE_URL = DEFAULT_URL;
    return;
  }
  const { register } = await import('tsx/cjs/api');
  register();
  const { startEmbeddedPostgres } = createRequire(import.meta.url)('../local/embedded-postgres.ts');
  const server = await startEmbeddedPostgres({ dataDir: path.resolve('.saas-pipeline/test-pg') });
  globalThis.__embeddedPostgres = server;
  process.env.TEST_ADMIN_DATABASE_URL = server.url;
}
