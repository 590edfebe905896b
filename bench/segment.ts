/**
 * The Segment path's throughput against the native path's, in one run on one machine: the same
 * generated events (seed 42), once as the contract and once as Segment messages (which carry about
 * one more line per login and two per sign-up, and are about twice the bytes), each loaded into a
 * fresh database by the in-process pipeline, in turns (native, segment, native, segment...), so that
 * drift on a noisy machine falls on both. Prints events per second of each, the median ratio, and
 * the staging step's seconds, where the mapping is applied.
 *
 *   npm run bench:segment -- [--from 2024-01-01] [--to 2024-01-31] [--repeats 2]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generate } from '../generator';
import { createPool } from '../lambdas/warehouse/db';
import { runWarehouse } from '../lambdas/warehouse/pipeline';
import { landedFileSource, listLandedFiles } from '../local/landing-folder';
import { withDatabase } from './database';

const { values: args } = parseArgs({
  options: {
    from: { type: 'string', default: '2024-01-01' },
    to: { type: 'string', default: '2024-01-31' },
    repeats: { type: 'string', default: '2' },
  },
});

type Format = 'native' | 'segment';

async function runOnce(dir: string, format: Format, round: number) {
  return withDatabase(`bench_segment_${format}_${round}`, async (url) => {
    const pool = createPool(url, 6);
    try {
      const files = await listLandedFiles(dir);
      const started = performance.now();
      const steps: Record<string, number> = {};
      const run = await runWarehouse(pool, {
        sources: await Promise.all(files.map((file) => landedFileSource('landing', file))),
        onStep: (event) => {
          if (event.status === 'succeeded')
            steps[event.step] = (steps[event.step] ?? 0) + (event.durationMs ?? 0) / 1000;
        },
      });
      const seconds = (performance.now() - started) / 1000;
      return {
        seconds,
        events: run.staging.staged,
        staging: steps.stage_events ?? 0,
      };
    } finally {
      await pool.end();
    }
  });
}

async function main(): Promise<void> {
  const dirs: Record<Format, string> = {
    native: await mkdtemp(path.join(tmpdir(), 'bench-segment-native-')),
    segment: await mkdtemp(path.join(tmpdir(), 'bench-segment-segment-')),
  };
  try {
    for (const format of ['native', 'segment'] as const) {
      const summary = await generate({
        from: args.from,
        to: args.to,
        seed: 42,
        format,
        outDir: dirs[format],
      });
      console.log(
        `${format}: ${summary.events.toLocaleString('en-US')} events in ${summary.lines.toLocaleString('en-US')} lines, ${(summary.bytes / 1e6).toFixed(1)} MB gzipped`,
      );
    }
    const ratios: number[] = [];
    for (let round = 0; round < Number(args.repeats); round++) {
      const native = await runOnce(dirs.native, 'native', round);
      const segment = await runOnce(dirs.segment, 'segment', round);
      if (native.events !== segment.events)
        throw new Error(`the two paths staged ${native.events} and ${segment.events} events`);
      const rate = (r: typeof native) => Math.round(r.events / r.seconds);
      ratios.push(rate(segment) / rate(native));
      console.log(
        `round ${round + 1}: native ${rate(native).toLocaleString('en-US')} events/s (${native.seconds.toFixed(2)} s, of which staging ${native.staging.toFixed(2)} s), ` +
          `segment ${rate(segment).toLocaleString('en-US')} events/s (${segment.seconds.toFixed(2)} s, of which staging ${segment.staging.toFixed(2)} s), ` +
          `segment ÷ native ${(rate(segment) / rate(native)).toFixed(2)}`,
      );
    }
    ratios.sort((a, b) => a - b);
    const median = ratios[Math.floor(ratios.length / 2)] ?? 0;
    console.log(`median throughput, segment ÷ native: ${median.toFixed(2)}`);
  } finally {
    await Promise.all(Object.values(dirs).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
