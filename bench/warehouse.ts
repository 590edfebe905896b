/**
 * The warehouse benchmark. Three ratios, each measured within one run of this script:
 *   1. the whole path from gzipped files to refreshed analytics, against a bare `psql \copy` of the
 *      same files into a one-column jsonb table (goal: within 4x);
 *   2. one new day on top of six months of history, against the same day on an empty warehouse
 *      (goal: within 1.5x);
 *   3. the same six months through the state machine (rendered from the CDK app, executed locally,
 *      files read from a local S3 server), against the in-process sequence of the same steps: what
 *      the orchestration costs.
 * With the first, what the revenue and account models cost, as a share of the run (bench/revenue-cost.ts),
 * and what the engagement models and the reporting time zone cost (bench/engagement-cost.ts).
 * Then the CLI's start-up (bench/cli.ts): `--help` and a run with nothing new.
 * Usage: npm run bench [-- --days 182 --repeat 3]. Needs `psql` and a PostgreSQL at
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); it creates and drops
 * databases named bench_*.
 */
import { Upload } from '@aws-sdk/lib-storage';
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generate } from '../generator';
import { withDatabase } from './database';
import { createPool, type Pool } from '../lambdas/warehouse/db';
import type { IngestSource } from '../lambdas/warehouse/ingest';
import { migrate } from '../lambdas/warehouse/migrate';
import { runWarehouse, type StepEvent } from '../lambdas/warehouse/pipeline';
import { listLandedFiles } from '../local/landing-folder';
import { createLocalHandlers } from '../local/handlers';
import { openLandingStore } from '../local/s3-server';
import { executeStateMachine, renderStateMachine } from '../local/state-machine';
import { benchCli } from './cli';
import { engagementCostLines } from './engagement-cost';
import { revenueCostLines } from './revenue-cost';

const { values: args } = parseArgs({
  options: {
    days: { type: 'string', default: '182' },
    repeat: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
  },
});
const FROM = '2024-01-01';
const HISTORY_DAYS = Number(args.days);
const REPEAT = Number(args.repeat);
const SEED = Number(args.seed);

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

async function ensureData(dir: string, from: string, to: string): Promise<void> {
  if (existsSync(path.join(dir, 'events'))) return;
  process.stderr.write(`generating ${from}..${to} into ${dir}\n`);
  await generate({ from, to, seed: SEED, outDir: dir, workers: 2 });
}

/** The file paths under a landing folder, in key order. */
async function listFiles(dir: string): Promise<string[]> {
  return (await listLandedFiles(dir)).map((file) => file.path);
}

async function sources(dir: string, files: string[]): Promise<IngestSource[]> {
  return Promise.all(
    files.map(async (file) => {
      const info = await stat(file);
      return {
        bucket: 'bench',
        key: path.relative(dir, file),
        etag: `${info.size}-${info.mtimeMs}`,
        sizeBytes: info.size,
        body: createReadStream(file, { highWaterMark: 1 << 20 }),
      };
    }),
  );
}

function run(command: string, argv: string[], stdinFiles: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
    // zcat of every file, in order, into psql's stdin.
    const zcat = spawn('zcat', stdinFiles, { stdio: ['ignore', 'pipe', 'inherit'] });
    zcat.stdout.pipe(child.stdin);
  });
}

/** The floor: psql \copy of the decompressed lines into one jsonb column, nothing else. */
async function bareCopySeconds(files: string[]): Promise<number> {
  return withDatabase('bench_bare_copy', async (url) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('create table bare (payload jsonb)');
    await client.end();
    const started = performance.now();
    await run(
      'psql',
      [url, '-qc', `\\copy bare from stdin (format csv, quote e'\\x01', delimiter e'\\x02')`],
      files,
    );
    return (performance.now() - started) / 1000;
  });
}

async function pipelineSeconds(pool: Pool, dir: string, files: string[], log?: (e: StepEvent) => void) {
  const started = performance.now();
  const summary = await runWarehouse(pool, { sources: await sources(dir, files), onStep: log });
  return { seconds: (performance.now() - started) / 1000, summary };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const historyDir = path.resolve(`.bench/history-${SEED}-${HISTORY_DAYS}`);
  const lastDay = addDays(FROM, HISTORY_DAYS - 1);
  await ensureData(historyDir, FROM, lastDay);
  const newDaysDir = path.resolve(`.bench/new-days-${SEED}-${HISTORY_DAYS}`);
  await ensureData(newDaysDir, addDays(lastDay, 1), addDays(lastDay, REPEAT));
  const files = await listFiles(historyDir);
  const newDayFiles = await listFiles(newDaysDir);

  // 1. Whole path vs bare copy.
  const bare = await bareCopySeconds(files);
  const steps: string[] = [];
  const stepSeconds = new Map<string, number>();
  const whole = await withDatabase('bench_pipeline', async (url) => {
    const pool = createPool(url, 6);
    try {
      const result = await pipelineSeconds(pool, historyDir, files, (e) => {
        if (e.status !== 'succeeded') return;
        const took = (e.durationMs ?? 0) / 1000;
        stepSeconds.set(e.step, (stepSeconds.get(e.step) ?? 0) + took);
        steps.push(
          `  ${e.step.padEnd(34)} ${String(e.rows ?? '').padStart(10)} rows ${took.toFixed(2).padStart(7)} s`,
        );
      });
      const revenueCost = await revenueCostLines(pool, stepSeconds);
      const engagementCost = await engagementCostLines(pool, stepSeconds);
      // 2. New days on six months of history...
      const onHistory: number[] = [];
      for (const file of newDayFiles)
        onHistory.push((await pipelineSeconds(pool, newDaysDir, [file])).seconds);
      return { ...result, onHistory, revenueCost, engagementCost };
    } finally {
      await pool.end();
    }
  });
  // ...and the same days, each on an empty warehouse.
  const onEmpty: number[] = [];
  for (const file of newDayFiles) {
    onEmpty.push(
      await withDatabase('bench_empty', async (url) => {
        const pool = createPool(url, 6);
        try {
          await runWarehouse(pool); // migrations, so that both sides start from a migrated schema
          return (await pipelineSeconds(pool, newDaysDir, [file])).seconds;
        } finally {
          await pool.end();
        }
      }),
    );
  }

  // 3. The state machine over the same files, from a local S3 server.
  const s3Dir = await mkdtemp(path.join(tmpdir(), 'bench-s3-'));
  const orchestrated = await withDatabase('bench_state_machine', async (url) => {
    const pool = createPool(url, 6);
    const store = await openLandingStore({ bucket: 'landing', localDir: s3Dir });
    try {
      for (const file of files) {
        await new Upload({
          client: store.client,
          params: { Bucket: 'landing', Key: path.relative(historyDir, file), Body: createReadStream(file) },
        }).done();
      }
      const handlers = createLocalHandlers({
        pool: async () => pool,
        s3: () => store.client,
        landing: { bucket: 'landing', prefixes: ['events/', 'segment-logs/'] },
      });
      // As the CLI does: the owner migrates, and the steps run as the Lambda functions' roles would.
      await migrate(pool);
      const rendered = renderStateMachine();
      const started = performance.now();
      const result = await executeStateMachine(rendered, {
        input: {},
        executionName: `bench-${Date.now()}`,
        handlers,
      });
      if (result.status !== 'SUCCEEDED')
        throw new Error(`state machine ${result.status}: ${result.error} ${result.cause}`);
      return (performance.now() - started) / 1000;
    } finally {
      await store.close();
      await pool.end();
      await rm(s3Dir, { recursive: true, force: true });
    }
  });

  const events = whole.summary.files.reduce((n, f) => n + f.rows, 0);
  console.log(`history: ${files.length} files, ${events} events (${FROM}..${lastDay}, seed ${SEED})`);
  console.log(
    `bare psql \\copy into jsonb:      ${bare.toFixed(2)} s  (${Math.round(events / bare)} events/s)`,
  );
  console.log(
    `whole pipeline, files->analytics: ${whole.seconds.toFixed(2)} s  (${Math.round(events / whole.seconds)} events/s)`,
  );
  console.log(steps.join('\n'));
  console.log(whole.revenueCost.join('\n'));
  console.log(whole.engagementCost.join('\n'));
  console.log(`ratio pipeline / bare copy:       ${(whole.seconds / bare).toFixed(2)}x  (goal <= 4x)`);
  console.log(
    `one new day on empty warehouse:   ${onEmpty.map((s) => s.toFixed(3)).join(', ')} s (median ${median(onEmpty).toFixed(3)})`,
  );
  console.log(
    `one new day on ${HISTORY_DAYS} days history:  ${whole.onHistory.map((s) => s.toFixed(3)).join(', ')} s (median ${median(whole.onHistory).toFixed(3)})`,
  );
  console.log(
    `ratio history / empty:            ${(median(whole.onHistory) / median(onEmpty)).toFixed(2)}x  (goal <= 1.5x)`,
  );
  console.log(`state machine, local S3 -> analytics: ${orchestrated.toFixed(2)} s`);
  console.log(
    `ratio state machine / in-process:  ${(orchestrated / whole.seconds).toFixed(2)}x  (orchestration overhead)`,
  );
  console.log(`\n${(await benchCli()).join('\n')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
