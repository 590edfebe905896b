import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runNode } from '../support/output';

// The CLI runs compiled JavaScript from dist/. These tests build a small project of the same shape (the
// real bin/saas-pipeline.js and scripts/build.js, two TypeScript sources of their own) and check that
// an edited source never runs stale: it is rebuilt, or run from the sources when dist/ cannot be built.
const REPO = path.resolve(__dirname, '../..');
let root: string;

const node = (args: string[]) => runNode(args, { cwd: root });
const cli = (...args: string[]) => node([path.join(root, 'bin', 'saas-pipeline.js'), ...args]);
const staleness = async () =>
  (await node(['-e', "process.stdout.write(String(require('./scripts/build').staleness() ?? 'fresh'))"]))
    .stdout;
const later = new Date(Date.now() + 60_000);

/** Writes a source with a modification time in the future, as an editor saving it a moment later would. */
async function edit(file: string, text: string): Promise<void> {
  await writeFile(path.join(root, file), text);
  await utimes(path.join(root, file), later, later);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'build-'));
  await cp(path.join(REPO, 'scripts', 'build.js'), path.join(root, 'scripts', 'build.js'));
  await cp(path.join(REPO, 'bin', 'saas-pipeline.js'), path.join(root, 'bin', 'saas-pipeline.js'));
  await symlink(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  await writeFile(path.join(root, 'package.json'), '{ "private": true }\n');
  await mkdir(path.join(root, 'cli'));
  // The entry prints its arguments and a word from a module it imports only when it needs it, as the
  // real CLI imports its commands, and exits with a code of its own.
  await writeFile(
    path.join(root, 'bin', 'saas-pipeline.ts'),
    "async function main(): Promise<void> {\n  const { word } = await import('../cli/word');\n  console.log(`${word} ${process.argv.slice(2).join(' ')}`);\n  process.exitCode = 3;\n}\nvoid main();\n",
  );
  await writeFile(path.join(root, 'cli', 'word.ts'), "export const word: string = 'one';\n");
});
afterEach(() => rm(root, { recursive: true, force: true }));

test('the CLI runs what was built, and a source edited since is rebuilt before it runs', async () => {
  expect((await node(['scripts/build.js'])).code).toBe(0);
  expect(await staleness()).toBe('fresh');
  expect(await cli('a')).toEqual({ code: 3, stdout: 'one a\n', stderr: '' });

  await edit('cli/word.ts', "export const word: string = 'two';\n");
  expect(await staleness()).toBe('cli/word.ts changed');
  expect(await cli('b')).toEqual({ code: 3, stdout: 'two b\n', stderr: '' });
  expect(await readFile(path.join(root, 'dist', 'cli', 'word.js'), 'utf8')).toContain('"two"');
  expect(await staleness()).toBe('fresh');
});

test('a source touched without a change is not rebuilt; a new or removed one is', async () => {
  expect((await cli()).code).toBe(3); // builds dist/ on first use
  const built = (await stat(path.join(root, 'dist', 'cli', 'word.js'))).mtimeMs;
  await utimes(path.join(root, 'cli', 'word.ts'), later, later);
  expect(await staleness()).toBe('fresh');
  expect((await stat(path.join(root, 'dist', 'cli', 'word.js'))).mtimeMs).toBe(built);
  // The new time is recorded, so the content is not hashed again at every start.
  const manifest = JSON.parse(await readFile(path.join(root, 'dist', 'manifest.json'), 'utf8')) as {
    sources: Record<string, { mtimeMs: number }>;
  };
  expect(Math.round(manifest.sources['cli/word.ts']?.mtimeMs ?? 0)).toBe(later.getTime());

  await edit('cli/extra.ts', 'export const extra = 1;\n');
  expect(await staleness()).toBe('cli/extra.ts is new');
  expect((await cli()).stdout).toBe('one \n');
  await rm(path.join(root, 'cli', 'extra.ts'));
  expect(await staleness()).toBe('cli/extra.ts was removed');
  expect((await cli()).stdout).toBe('one \n');
  await expect(stat(path.join(root, 'dist', 'cli', 'extra.js'))).rejects.toThrow();
});

test('when dist/ cannot be built, the CLI says so in one line and runs the sources, with their exit code', async () => {
  await writeFile(path.join(root, 'dist'), 'a file where the folder should be\n');
  await edit('cli/word.ts', "export const word: string = 'three';\n");
  const result = await cli('c');
  expect(result.stdout).toBe('three c\n');
  expect(result.code).toBe(3);
  expect(result.stderr).toMatch(
    /^saas-pipeline: running the TypeScript sources through tsx: dist\/ could not be rebuilt \(nothing built yet; .+\)\n$/,
  );
});
