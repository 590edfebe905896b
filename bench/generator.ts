/**
 * Generator throughput: the default six months (about 1.8M events) into gzipped files in a
 * temporary folder, with 1 and then 2 worker threads.
 *
 *   npx tsx bench/generator.ts [--from 2024-01-01] [--to 2024-06-30] [--scale 1] [--workers 1,2] [--repeat 1]
 *
 * Prints wall-clock events/s (the figure that matters) and CPU seconds of the whole process,
 * which show how much of the machine a run used and help judge noisy neighbours.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { generate } from '../generator';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string', default: '2024-01-01' },
      to: { type: 'string', default: '2024-06-30' },
      scale: { type: 'string', default: '1' },
      workers: { type: 'string', default: '1,2' },
      repeat: { type: 'string', default: '1' },
    },
  });
  const workerCounts = values.workers.split(',').map(Number);
  const repeat = Number(values.repeat);
  console.log(
    `generator benchmark: ${values.from}..${values.to}, scale ${values.scale}, seed 42, gzip level 1`,
  );
  console.log('workers  events      files  gz MB   seconds  events/s   CPU s');
  for (const workers of workerCounts) {
    for (let run = 0; run < repeat; run++) {
      const dir = await mkdtemp(join(tmpdir(), 'generator-bench-'));
      try {
        const cpu = process.cpuUsage();
        const summary = await generate({
          from: values.from,
          to: values.to,
          seed: 42,
          scale: Number(values.scale),
          outDir: dir,
          workers,
        });
        const used = process.cpuUsage(cpu);
        console.log(
          [
            String(workers).padEnd(8),
            String(summary.events).padEnd(11),
            String(summary.files).padEnd(6),
            (summary.bytes / 1e6).toFixed(1).padEnd(7),
            summary.seconds.toFixed(2).padEnd(8),
            String(Math.round(summary.eventsPerSecond)).padEnd(10),
            ((used.user + used.system) / 1e6).toFixed(2),
          ].join(' '),
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
