import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../common/project-root';
import { type RenderedStateMachine, validateStateMachine } from './state-machine-runner';

/** Where rendered definitions are kept, one file per code version. */
export const STATE_MACHINE_CACHE_DIR = path.join(PROJECT_ROOT, '.cache', 'state-machine');
/** The renderer: the definition is what this file and everything it imports from the project make of it. */
const RENDERER = 'local/state-machine.ts';
/** Definitions kept for other code versions (another branch), the newest first. */
const KEPT = 8;

export interface LoadedStateMachine {
  readonly rendered: RenderedStateMachine;
  /** Whether it came from the cache rather than a synth of the CDK app. */
  readonly cached: boolean;
}

export interface LoadStateMachineOptions {
  /** @default STATE_MACHINE_CACHE_DIR */
  readonly cacheDir?: string;
  /** Whose sources the key is computed from. @default PROJECT_ROOT */
  readonly root?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The state machine `renderStateMachine` makes of the CDK app, rendered once per code version: the
 * synth takes seconds, reading the cache milliseconds, and a run with nothing new should not wait on
 * the CDK. Keyed by `stateMachineCacheKey`; a damaged or partial cache file is rendered and written
 * again. What it returns passed `validateStateMachine` before it was cached, so an execution can skip
 * that check (`validated`).
 */
export async function loadStateMachine(options: LoadStateMachineOptions = {}): Promise<LoadedStateMachine> {
  const dir = options.cacheDir ?? STATE_MACHINE_CACHE_DIR;
  let key: string | undefined;
  try {
    key = stateMachineCacheKey(options.root ?? PROJECT_ROOT, options.env ?? process.env);
  } catch {
    // Sources not where they are expected: render every time, as before there was a cache.
  }
  const file = key === undefined ? undefined : path.join(dir, `${key}.json`);
  if (file) {
    const rendered = await readCached(file, key as string);
    if (rendered) return { rendered, cached: true };
  }
  const { renderStateMachine } = await import('./state-machine');
  const rendered = renderStateMachine();
  await validateStateMachine(rendered);
  if (file) await writeCached(dir, file, key as string, rendered).catch(() => undefined);
  return { rendered, cached: false };
}

/**
 * A hash of what decides the definition: the renderer and every project source it imports,
 * transitively (lib/, and what lib/ imports from lambdas/), the CDK libraries' versions, and
 * CDK_CONTEXT_JSON, the only setting an in-process App reads from outside. The run's own settings
 * (MIN_EVENT_TIMESTAMP, STAGING_BATCH_MAX_LINES, ...) are read by the handlers, not baked into it.
 */
export function stateMachineCacheKey(
  root: string = PROJECT_ROOT,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const hash = createHash('sha256').update('state-machine-cache 1\n');
  for (const file of renderInputs(root)) hash.update(`${file}\n`).update(readFileSync(path.join(root, file)));
  for (const library of ['aws-cdk-lib', 'constructs'])
    hash.update(`${library}\n`).update(readFileSync(require.resolve(`${library}/package.json`)));
  hash.update(`CDK_CONTEXT_JSON\n${env.CDK_CONTEXT_JSON ?? ''}`);
  return hash.digest('hex').slice(0, 32);
}

/**
 * The renderer and the project files it imports, transitively, relative to `root`, sorted. Imports
 * are found by their specifiers (`from './x'`, `import('./x')`, `require('./x')`), type-only ones
 * included: reading a file too many costs nothing, missing one would keep a stale definition.
 */
export function renderInputs(root: string = PROJECT_ROOT): string[] {
  const found = new Set<string>();
  const pending = [RENDERER];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (found.has(file)) continue;
    found.add(file);
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const match of text.matchAll(/(?:\bfrom|\bimport|\brequire)\s*\(?\s*['"](\.\.?\/[^'"]+)['"]/g)) {
      const target = resolveSource(root, path.posix.join(path.posix.dirname(file), match[1] as string));
      if (target && !found.has(target)) pending.push(target);
    }
  }
  return [...found].sort();
}

function resolveSource(root: string, specifier: string): string | undefined {
  return [`${specifier}.ts`, `${specifier}/index.ts`, specifier].find((candidate) =>
    existsSync(path.join(root, candidate)),
  );
}

async function readCached(file: string, key: string): Promise<RenderedStateMachine | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { key?: unknown; rendered?: unknown };
    if (parsed.key === key && isRendered(parsed.rendered)) return parsed.rendered;
  } catch {
    // Missing, partial or not JSON: rendered again.
  }
  return undefined;
}

function isRendered(value: unknown): value is RenderedStateMachine {
  const { definition, taskHandlers } = (value ?? {}) as { definition?: unknown; taskHandlers?: unknown };
  const { StartAt, States } = (definition ?? {}) as { StartAt?: unknown; States?: unknown };
  return (
    typeof StartAt === 'string' &&
    typeof States === 'object' &&
    States !== null &&
    StartAt in States &&
    typeof taskHandlers === 'object' &&
    taskHandlers !== null &&
    Object.keys(taskHandlers).length > 0 &&
    Object.values(taskHandlers).every((handler) => typeof handler === 'string')
  );
}

/** Through a temporary file and a rename: a reader sees a whole file or none. */
async function writeCached(
  dir: string,
  file: string,
  key: string,
  rendered: RenderedStateMachine,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temporary, JSON.stringify({ key, rendered }));
    await rename(temporary, file);
  } finally {
    await rm(temporary, { force: true });
  }
  const kept = await Promise.all(
    (await readdir(dir))
      .filter((name) => name.endsWith('.json'))
      .map(async (name) => ({ name, time: (await stat(path.join(dir, name))).mtimeMs })),
  );
  kept.sort((a, b) => b.time - a.time);
  for (const old of kept.slice(KEPT)) await rm(path.join(dir, old.name), { force: true });
}
