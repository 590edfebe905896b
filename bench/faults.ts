/**
 * One row per fault case: what a producer sent, what became of it (good lines kept, bad lines
 * quarantined, file rejected, the pipeline went on), how long the run took and the peak memory of
 * the process that loaded it. Each case runs on a database of its own, in a process of its own
 * (bench/fault-case.ts), followed by a run with a good file to show that the pipeline goes on.
 * Usage: npm run bench:faults. Needs a PostgreSQL at BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres); it creates and drops databases named bench_faults_*.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip, gzipSync } from 'node:zlib';
import { table } from '../cli/output';
import { goodLines, POISON_FILES, POISON_LINES } from '../test/support/poison';
import { withDatabase } from './database';
import type { FaultCaseResult } from './fault-case';

const run = promisify(execFile);

interface Case {
  readonly name: string;
  /** Writes the case's file; returns how many good lines it holds. */
  write(file: string): Promise<number>;
}

const gz = (lines: readonly (string | Buffer)[]): Buffer =>
  gzipSync(Buffer.concat(lines.flatMap((line) => [Buffer.from(line), Buffer.from('\n')])));

const CASES: Case[] = [
  {
    name: 'clean file (for comparison)',
    write: async (file) => (await writeFile(file, gz(goodLines('clean'))), 3),
  },
  ...POISON_LINES.map((poison) => ({
    name: poison.name,
    write: async (file: string) => {
      const good = goodLines('case');
      await writeFile(file, gz([good[0] as string, poison.line, ...good.slice(1)]));
      return good.length;
    },
  })),
  ...POISON_FILES.map((poison) => ({
    name: poison.name,
    write: async (file: string) => (await writeFile(file, poison.bytes()), 0),
  })),
  {
    name: '200,000 invalid lines (110 MB inflated)',
    write: async (file) => {
      const lines = Readable.from(
        (function* () {
          yield goodLines('many').join('\n') + '\n';
          for (let i = 0; i < 200_000; i++) yield `{"not json ${randomBytes(275).toString('hex')}\n`;
        })(),
      );
      await pipeline(lines, createGzip({ level: 1 }), createWriteStream(file));
      return 3;
    },
  },
];

function outcome(result: FaultCaseResult, good: number): string {
  if (result.status === 'rejected') return `file rejected: ${result.rejectReason}`;
  const kept = `good lines kept ${result.staged}/${good}`;
  const bad = result.reasons.length > 0 ? `, bad lines quarantined: ${result.reasons.join(', ')}` : '';
  return kept + bad;
}

async function main(): Promise<void> {
  const folder = await mkdtemp(path.join(tmpdir(), 'bench-faults-'));
  const rows: Record<string, unknown>[] = [];
  try {
    const goodFile = path.join(folder, 'next-day.ndjson.gz');
    await writeFile(goodFile, gz(goodLines('next-day')));
    for (const [i, faultCase] of CASES.entries()) {
      const file = path.join(folder, `case-${i}.ndjson.gz`);
      const good = await faultCase.write(file);
      const result = await withDatabase(`bench_faults_${process.pid}_${i}`, async (url) => {
        const { stdout } = await run(
          process.execPath,
          ['-r', 'tsx/cjs', path.join(__dirname, 'fault-case.ts'), url, file, goodFile],
          { maxBuffer: 1024 * 1024 },
        );
        return JSON.parse(stdout.trim().split('\n').at(-1) as string) as FaultCaseResult;
      });
      const row = {
        case: faultCase.name,
        outcome: outcome(result, good),
        'went on': result.wentOn ? 'yes' : 'NO',
        seconds: result.seconds.toFixed(2),
        'peak RSS MB': result.peakRssMb,
      };
      rows.push(row);
      process.stderr.write(`${row.case}: ${row.outcome} (${row.seconds} s, ${row['peak RSS MB']} MB)\n`);
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  process.stdout.write('\n' + table(rows) + '\n');
  if (rows.some((row) => row['went on'] !== 'yes')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
