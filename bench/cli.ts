/**
 * The CLI's start-up, as a user meets it: wall-clock medians of 5 runs of `saas-pipeline --help` and of
 * `saas-pipeline run` with nothing new (after one run that loaded a small generated day), against
 * `node -e 1`, the floor. The run uses a database on the bench server and the local S3 server the CLI
 * starts. With `--baseline DIR` (another checkout, installed) each figure is also measured for that
 * checkout's CLI, the two taking turns so that the machine's load weighs on both alike.
 * Usage: npm run bench:cli [-- --baseline /path/to/checkout]; `npm run bench` prints it too.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { withDatabase } from './database';

const REPEAT = 5;
const CLI = path.resolve(__dirname, '../bin/saas-pipeline.js');

/** Runs node with `args`; its wall-clock seconds, or an error with its output when it fails. */
function timed(args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve(seconds);
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

interface Subject {
  readonly name: string;
  readonly cli: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Generates one small day into a state folder of its own, uploads and runs it once. */
async function prepare(subject: Subject): Promise<void> {
  const landing = path.join(subject.home, 'generated');
  const day = ['--from', '2024-01-01', '--to', '2024-01-01', '--users', '40'];
  await timed([subject.cli, 'generate', ...day, '--out', landing, '--quiet'], subject.env);
  await timed([subject.cli, 'upload', landing], subject.env);
  // Loads the day, and renders (and caches) the state machine if this code has not yet.
  await timed([subject.cli, 'run'], subject.env);
}

/** The benchmark's lines: each figure's median and its samples. */
export async function benchCli(options: { baseline?: string } = {}): Promise<string[]> {
  const root = await mkdtemp(path.join(tmpdir(), 'bench-cli-'));
  const subject = (name: string, cli: string, url: string): Subject => {
    const home = path.join(root, name);
    return { name, cli, home, env: { SAAS_PIPELINE_HOME: home, DATABASE_URL: url } };
  };
  try {
    return await withDatabase('bench_cli', (url) => {
      const current = subject('saas-pipeline', CLI, url);
      if (!options.baseline) return measure([current]);
      const cli = path.resolve(options.baseline, 'bin', 'saas-pipeline.js');
      return withDatabase('bench_cli_baseline', (baselineUrl) =>
        measure([current, subject('baseline', cli, baselineUrl)]),
      );
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const FIGURES: { label: string; goal?: string; args: (subject: Subject) => string[] }[] = [
  { label: '--help', goal: 'goal <= 0.3 s', args: (subject) => [subject.cli, '--help'] },
  { label: 'run, nothing new', goal: 'goal <= 1.0 s', args: (subject) => [subject.cli, 'run'] },
];

async function measure(subjects: Subject[]): Promise<string[]> {
  for (const subject of subjects) await prepare(subject);
  const line = (name: string, values: number[], goal?: string) =>
    `  ${name.padEnd(32)} ${median(values).toFixed(2)} s  [${values.map((v) => v.toFixed(2)).join(' ')}]${goal ? `  ${goal}` : ''}`;
  const lines = [`CLI start-up: wall-clock seconds, median of ${REPEAT} [samples]`];
  const floor: number[] = [];
  for (let i = 0; i < REPEAT; i++) floor.push(await timed(['-e', '1']));
  lines.push(line('node -e 1 (the floor)', floor));
  for (const figure of FIGURES) {
    const samples = subjects.map(() => [] as number[]);
    // Taking turns, so that a burst of load on the machine falls on every subject alike.
    for (let i = 0; i < REPEAT; i++)
      for (const [index, subject] of subjects.entries())
        samples[index]?.push(await timed(figure.args(subject), subject.env));
    subjects.forEach((subject, index) =>
      lines.push(
        line(`${subject.name} ${figure.label}`, samples[index] ?? [], index === 0 ? figure.goal : undefined),
      ),
    );
  }
  return lines;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { baseline: { type: 'string' } } });
  benchCli({ baseline: values.baseline }).then(
    (lines) => console.log(lines.join('\n')),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
