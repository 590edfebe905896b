/**
 * Runs the warehouse once on one file read from disk, then once more on a good file, and prints what
 * happened as one JSON line, with the peak resident memory of the process while it ran them: `npm run bench:faults` and the
 * memory test run each fault case in a process of its own so that the peak is the case's.
 * Usage: node -r tsx/cjs bench/fault-case.ts DATABASE_URL FILE [GOOD_FILE]
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createPool } from '../lambdas/warehouse/db';
import type { IngestSource } from '../lambdas/warehouse/ingest';
import { migrate } from '../lambdas/warehouse/migrate';
import { runWarehouse } from '../lambdas/warehouse/pipeline';

export interface FaultCaseResult {
  readonly status: string;
  readonly rejectReason: string | null;
  readonly lines: number;
  readonly staged: number;
  readonly quarantined: number;
  readonly reasons: string[];
  readonly seconds: number;
  /** Did a later run with a good file load and stage it? */
  readonly wentOn: boolean;
  readonly peakRssMb: number;
}

async function fileSource(file: string): Promise<IngestSource> {
  // The ETag is the content's hash, as S3's is; the bytes are streamed from disk, never held whole.
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return {
    bucket: 'landing',
    key: `events/dt=2024-03-05/${path.basename(file)}`,
    etag: hash.digest('hex'),
    sizeBytes: (await stat(file)).size,
    body: createReadStream(file, { highWaterMark: 64 * 1024 }),
  };
}

/**
 * The highest resident memory while the runs go, sampled every 10 ms. Not the process's lifetime
 * peak (maxRSS): that would count what starting up took, which transpiling TypeScript on a cold cache
 * (a first run in a fresh clone) makes several times larger than any run.
 */
function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, process.memoryUsage.rss()) / 1024 ** 2);
    },
  };
}

async function main(): Promise<void> {
  const [url, file, goodFile] = process.argv.slice(2);
  if (!url || !file) throw new Error('usage: fault-case.ts DATABASE_URL FILE [GOOD_FILE]');
  const pool = createPool(url, 4);
  try {
    // The schema first, so that the time is the run's, not the migrations' of a fresh database.
    await migrate(pool);
    const rss = sampleRss();
    const started = Date.now();
    const run = await runWarehouse(pool, { sources: [await fileSource(file)], asOf: '2024-03-31' });
    const seconds = (Date.now() - started) / 1000;
    const loaded = run.files[0];
    const reasons = await pool.query<{ reason: string }>(
      'select distinct reason from staging.quarantine order by 1',
    );
    let wentOn = false;
    if (goodFile) {
      const next = await runWarehouse(pool, { sources: [await fileSource(goodFile)], asOf: '2024-03-31' });
      wentOn = next.files[0]?.status === 'loaded' && next.staging.staged > 0;
    }
    const result: FaultCaseResult = {
      status: loaded?.status ?? 'none',
      rejectReason: loaded?.rejectReason ?? null,
      lines: loaded?.lines ?? 0,
      staged: run.staging.staged,
      quarantined: run.staging.quarantined,
      reasons: reasons.rows.map((row) => row.reason),
      seconds,
      wentOn,
      peakRssMb: rss.stop(),
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
