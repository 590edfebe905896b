import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { generate, type GenerateOptions } from '../../generator';
import { eventFileHashes, listKeys, readManifest, tempDir } from './helpers';

/** Small but not trivial: ~75 users, every kind of bad line, more than one part per day. */
const base = {
  seed: 7,
  scale: 0.15,
  badRate: 0.03,
  maxLinesPerFile: 1500,
} satisfies Partial<GenerateOptions>;

describe('generator determinism', () => {
  let root: string;
  let reference: Record<string, string>;

  beforeAll(async () => {
    root = await tempDir('determinism');
    await generate({ ...base, from: '2024-01-01', to: '2024-03-10', outDir: join(root, 'reference') });
    reference = await eventFileHashes(join(root, 'reference'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('the reference run wrote a folder per day with several parts on busy days', () => {
    const keys = Object.keys(reference);
    expect(keys.length).toBeGreaterThan(70);
    expect(keys.filter((key) => key.endsWith('/part-0001.ndjson.gz')).length).toBeGreaterThan(5);
  });

  test('the same seed and options give byte-identical files, with one worker thread or two', async () => {
    const out = join(root, 'again');
    await generate({ ...base, from: '2024-01-01', to: '2024-03-10', outDir: out, workers: 2 });
    expect(await eventFileHashes(out)).toEqual(reference);
    // Only the run's timing and thread count may differ.
    const withoutRun = (manifest: Record<string, unknown>) => ({ ...manifest, run: undefined });
    expect(withoutRun(await readManifest(out))).toEqual(
      withoutRun(await readManifest(join(root, 'reference'))),
    );
  });

  test('a different seed gives different files', async () => {
    const out = join(root, 'other-seed');
    await generate({ ...base, seed: 8, from: '2024-01-01', to: '2024-03-10', outDir: out });
    const other = await eventFileHashes(out);
    const shared = Object.keys(other).filter((key) => key in reference);
    expect(shared.length).toBeGreaterThan(60);
    for (const key of shared) expect(other[key]).not.toBe(reference[key]);
  });

  test('January alone gives exactly the January files of the longer run', async () => {
    const out = join(root, 'january');
    await generate({ ...base, from: '2024-01-01', to: '2024-01-31', outDir: out });
    const january = await eventFileHashes(out);
    const referenceJanuary = Object.fromEntries(
      Object.entries(reference).filter(([key]) => key.startsWith('events/dt=2024-01-')),
    );
    expect(january).toEqual(referenceJanuary);
  });

  test('so does a range in the middle: days can be generated incrementally', async () => {
    const out = join(root, 'middle');
    await generate({ ...base, from: '2024-02-10', to: '2024-02-12', outDir: out, workers: 2 });
    const middle = await eventFileHashes(out);
    expect(Object.keys(middle).length).toBeGreaterThanOrEqual(3);
    for (const [key, hash] of Object.entries(middle)) expect([key, hash]).toEqual([key, reference[key]]);
  });

  test('a re-run into the same place replaces the parts of the earlier run', async () => {
    const out = join(root, 'rerun');
    await generate({ ...base, from: '2024-03-09', to: '2024-03-10', outDir: out });
    await generate({ ...base, maxLinesPerFile: 0, from: '2024-03-09', to: '2024-03-10', outDir: out });
    expect(await listKeys(out)).toEqual([
      '_manifests/events_2024-03-09_2024-03-10_seed-7.json',
      'events/dt=2024-03-09/part-0000.ndjson.gz',
      'events/dt=2024-03-10/part-0000.ndjson.gz',
    ]);
  });
});
