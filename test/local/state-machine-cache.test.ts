import { existsSync } from 'node:fs';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../common/project-root';
import { renderStateMachine, type RenderedStateMachine } from '../../local/state-machine';
import { loadStateMachine, renderInputs, stateMachineCacheKey } from '../../local/state-machine-cache';

// The cache the CLI's run reads instead of synthesizing the CDK app: it must hold exactly what a
// fresh synth renders, and a change to anything that shapes the definition must miss it.
let fresh: RenderedStateMachine;
let dir: string;
beforeAll(async () => {
  fresh = renderStateMachine();
  dir = await mkdtemp(path.join(tmpdir(), 'state-machine-cache-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cacheFiles = async (cacheDir: string) =>
  (await readdir(cacheDir)).filter((name) => name.endsWith('.json'));

test('the cached definition is the one a fresh synth of the CDK app renders', async () => {
  const cacheDir = path.join(dir, 'equal');
  const first = await loadStateMachine({ cacheDir });
  expect(first.cached).toBe(false);
  expect(first.rendered).toEqual(fresh);
  const again = await loadStateMachine({ cacheDir });
  expect(again.cached).toBe(true);
  expect(again.rendered).toEqual(fresh);
  expect(await cacheFiles(cacheDir)).toEqual([`${stateMachineCacheKey()}.json`]);
});

test('a partial or damaged cache file is ignored and written again', async () => {
  const cacheDir = path.join(dir, 'damaged');
  await loadStateMachine({ cacheDir });
  const file = path.join(cacheDir, `${stateMachineCacheKey()}.json`);
  const whole = await readFile(file, 'utf8');
  const damages = [
    whole.slice(0, whole.length / 2), // a write cut short
    '',
    JSON.stringify({ key: stateMachineCacheKey(), rendered: { definition: {}, taskHandlers: {} } }),
    JSON.stringify({ key: 'another', rendered: fresh }),
  ];
  for (const damaged of damages) {
    await writeFile(file, damaged);
    const loaded = await loadStateMachine({ cacheDir });
    expect(loaded.cached).toBe(false);
    expect(loaded.rendered).toEqual(fresh);
    expect(await readFile(file, 'utf8')).toBe(whole);
  }
  // No temporary file is left behind.
  expect(await readdir(cacheDir)).toEqual([path.basename(file)]);
});

test('the key covers the CDK app and what it imports, and changes with any of it', async () => {
  const inputs = renderInputs();
  expect(inputs).toEqual(
    expect.arrayContaining([
      'local/state-machine.ts',
      'lib/app.ts',
      'lib/constructs/pipeline-state-machine.ts',
      'lambdas/warehouse/limits.ts',
      'lambdas/plan.ts',
    ]),
  );
  const libFiles = (await readdir(path.join(PROJECT_ROOT, 'lib'), { recursive: true }))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.posix.join('lib', name.split(path.sep).join('/')));
  expect(inputs).toEqual(expect.arrayContaining(libFiles));
  if (existsSync(path.join(PROJECT_ROOT, 'lambdas', 'plan.ts'))) expect(inputs).toContain('lambdas/plan.ts');

  // A copy of those sources has the same key; an edit to one, or a new file it imports, changes it.
  const root = path.join(dir, 'copy');
  for (const file of inputs) await cp(path.join(PROJECT_ROOT, file), path.join(root, file));
  const key = stateMachineCacheKey();
  expect(stateMachineCacheKey(root)).toBe(key);
  await appendFile(path.join(root, 'lambdas/warehouse/limits.ts'), '\n// a new limit\n');
  const edited = stateMachineCacheKey(root);
  expect(edited).not.toBe(key);
  await writeFile(path.join(root, 'lib/extra.ts'), 'export const EXTRA = 1;\n');
  await appendFile(path.join(root, 'lib/app.ts'), "\nimport './extra';\n");
  expect(renderInputs(root)).toContain('lib/extra.ts');
  const imported = stateMachineCacheKey(root);
  await writeFile(path.join(root, 'lib/extra.ts'), 'export const EXTRA = 2;\n');
  expect(stateMachineCacheKey(root)).not.toBe(imported);
  // The one outside setting an in-process CDK App reads.
  expect(
    stateMachineCacheKey(PROJECT_ROOT, { CDK_CONTEXT_JSON: '{"minEventTimestamp":"2020-01-01"}' }),
  ).not.toBe(key);

  // Changed sources miss the cache (and render again), then hit their own entry.
  const cacheDir = path.join(dir, 'invalidated');
  expect((await loadStateMachine({ cacheDir })).cached).toBe(false);
  expect((await loadStateMachine({ cacheDir })).cached).toBe(true);
  const changed = await loadStateMachine({ cacheDir, root });
  expect(changed.cached).toBe(false);
  expect(changed.rendered).toEqual(fresh);
  expect((await loadStateMachine({ cacheDir, root })).cached).toBe(true);
  expect((await cacheFiles(cacheDir)).sort()).toEqual(
    [`${key}.json`, `${stateMachineCacheKey(root)}.json`].sort(),
  );
});
