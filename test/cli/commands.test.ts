import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ProcessResult, runNode } from '../support/output';
import { createTestDatabase, type TestDatabase } from '../support/database';

const CLI = path.resolve(__dirname, '../../bin/saas-pipeline.js');

/** Runs the CLI as a user would, in its own process, with the given environment. */
function cli(args: string[], env: Record<string, string | undefined>): Promise<ProcessResult> {
  return runNode([CLI, ...args], { env: { ...process.env, DATABASE_URL: undefined, ...env } });
}

let home: string;
let db: TestDatabase;
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'saas-pipeline-cli-'));
  // As root the embedded PostgreSQL runs as the postgres user, which must be able to enter the folder.
  await chmod(home, 0o755);
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db.drop();
  await rm(home, { recursive: true, force: true });
});

test('help, unknown commands and bad options have documented exit codes', async () => {
  const help = await cli(['--help'], {});
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/Commands:[\s\S]*demo[\s\S]*Exit codes: 0 ok/);
  expect((await cli(['frobnicate'], {})).code).toBe(2);
  expect((await cli(['run', '--no-such-option'], {})).code).toBe(2);
  const badDate = await cli(['run', '--as-of', 'yesterday'], {});
  expect(badDate.code).toBe(2);
  expect(badDate.stdout).toMatch(/--as-of must be a date/);
  // Shaped like a date, but no such day.
  expect((await cli(['run', '--as-of', '2024-02-30'], {})).code).toBe(2);
  const badZone = await cli(['run', '--time-zone', 'Mars/Olympus_Mons'], {});
  expect(badZone.code).toBe(2);
  expect(badZone.stdout).toMatch(/--time-zone must be an IANA time zone/);
});

test('generate, upload, run, run again and status: the state machine on a local S3 server', async () => {
  const env = { SAAS_PIPELINE_HOME: home, DATABASE_URL: db.url };
  const folder = path.join(home, 'generated');
  const generated = await cli(
    [
      'generate',
      '--from',
      '2024-01-01',
      '--to',
      '2024-01-10',
      '--users',
      '40',
      '--bad-rate',
      '0.01',
      '--out',
      folder,
      '--quiet',
    ],
    env,
  );
  expect(generated.code).toBe(0);
  const uploaded = await cli(['upload', folder], env);
  expect(uploaded.code).toBe(0);
  const files = Number(/uploaded (\d+) files/.exec(uploaded.stdout)?.[1]);
  expect(files).toBeGreaterThan(0);

  const first = await cli(['run', '--as-of', '2024-01-10'], env);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(`List new files`);
  expect(first.stdout).toMatch(new RegExp(`${files} new files`));
  expect(first.stdout).toMatch(/ok\s+Stage events/);
  expect(first.stdout).toMatch(/stage_events\s+succeeded\s+[\d,]+/);
  expect(first.stdout).toMatch(/succeeded in [\d.]+ s; analytics as of 2024-01-10/);

  const again = await cli(['run', '--as-of', '2024-01-10'], env);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/0 new files/);

  // Another reporting time zone is refused on a loaded warehouse, until time-zone moves it.
  const refused = await cli(['run', '--as-of', '2024-01-10', '--time-zone', 'Europe/Berlin'], env);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toContain('TimeZoneMismatchError');
  expect(refused.stdout).toContain('Run "saas-pipeline time-zone Europe/Berlin"');
  expect((await cli(['time-zone'], env)).stdout).toContain('reporting time zone: UTC (the warehouse)');
  const moved = await cli(['time-zone', 'europe/berlin'], env);
  expect(moved.code).toBe(0);
  expect(moved.stdout).toMatch(
    /UTC -> Europe\/Berlin: [\d,]+ events moved to another date, \d+ dates to rebuild/,
  );
  expect(moved.stdout).toMatch(/succeeded in [\d.]+ s/);
  const inBerlin = await cli(['run', '--time-zone', 'Europe/Berlin'], env);
  expect(inBerlin.code).toBe(0);
  expect(inBerlin.stdout).toMatch(/0 new files/);

  const status = await cli(['status'], env);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/Recent runs[\s\S]*succeeded[\s\S]*Quarantine by reason[\s\S]*invalid_json/);
});

test('the Segment format end to end: generate, upload, run, status shows the unmapped calls, reprocess', async () => {
  const segmentHome = await mkdtemp(path.join(tmpdir(), 'saas-pipeline-cli-segment-'));
  await chmod(segmentHome, 0o755);
  const segmentDb = await createTestDatabase({ migrate: false });
  const env = { SAAS_PIPELINE_HOME: segmentHome, DATABASE_URL: segmentDb.url };
  try {
    const folder = path.join(segmentHome, 'generated');
    const args = ['--from', '2024-01-01', '--to', '2024-01-06', '--users', '200', '--out', folder, '--quiet'];
    const generated = await cli(['generate', '--format', 'segment', ...args], env);
    const files = Number(/in (\d+) files/.exec(generated.stdout)?.[1]);
    expect(files).toBeGreaterThan(2);
    const uploaded = await cli(['upload', folder], env);
    expect(uploaded.stdout).toContain(`uploaded ${files} files`);
    const run = await cli(['run', '--as-of', '2024-01-06'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${files} new files`);

    const status = await cli(['status'], env);
    expect(status.stdout).toMatch(
      /Unmapped Segment events by name[^\n]*\n\s+type\s+name\s+rows[\s\S]*page\s+Home\s+\d+/,
    );

    expect((await cli(['reprocess', '--from', '2024-01-03'], env)).code).toBe(2);
    const reprocessed = await cli(
      ['reprocess', '--from', '2024-01-02', '--to', '2024-01-03', '--no-run'],
      env,
    );
    expect(reprocessed.code).toBe(0);
    expect(reprocessed.stdout).toMatch(
      /reprocess 2024-01-02\.\.2024-01-03: [\d,]+ lines of \d files routed again/,
    );
    expect(reprocessed.stdout).toMatch(/unmapped\s+(\d+)\s+\1\n/);
    expect(reprocessed.stdout).toMatch(/2 dates pending/);
    const after = await cli(['run', '--as-of', '2024-01-06'], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/succeeded in [\d.]+ s; analytics as of 2024-01-06/);

    expect((await cli(['forget'], env)).code).toBe(2);
    const forgot = await cli(['forget', '--user', 'usr_000001', '--by', 'cli test'], env);
    expect(forgot.code).toBe(0);
    expect(forgot.stdout).toMatch(/forget: erasure 1, 2 ids \(hash [0-9a-f]{12}…\)/);
    expect(forgot.stdout).toMatch(/raw\.events\s+\d+/);
    expect(forgot.stdout).toMatch(/succeeded in [\d.]+ s; analytics as of/);
  } finally {
    await segmentDb.drop();
    await rm(segmentHome, { recursive: true, force: true });
  }
});

test('as root in a folder closed to other users, the embedded database lives under /var/tmp instead', async () => {
  if (process.getuid?.() !== 0) return; // only root hands the server to another user
  const closed = await mkdtemp(path.join(tmpdir(), 'saas-pipeline-closed-'));
  const env = { SAAS_PIPELINE_HOME: path.join(closed, 'home') };
  try {
    const result = await cli(['migrate'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /closed to the "postgres" user[\s\S]*data goes to \/var\/tmp\/saas-pipeline-[0-9a-f]{12}\/pg/,
    );
    expect(result.stdout).toMatch(/applied 0001_schemas\.sql/);
  } finally {
    expect((await cli(['reset', '--yes'], env)).code).toBe(0);
    await rm(closed, { recursive: true, force: true });
  }
});

test('an unreachable DATABASE_URL exits 5 with the reason', async () => {
  const result = await cli(['migrate'], {
    SAAS_PIPELINE_HOME: home,
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  });
  expect(result.code).toBe(5);
  expect(result.stderr).toMatch(/Cannot reach DATABASE_URL \(postgres:\/\/nobody@127\.0\.0\.1:1\/none\)/);
});

test('with no DATABASE_URL it starts an embedded PostgreSQL 15 in the state folder', async () => {
  const env = { SAAS_PIPELINE_HOME: path.join(home, 'embedded') };
  const result = await cli(['migrate'], env);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/embedded PostgreSQL 15 ready/);
  expect(result.stdout).toMatch(/applied 0001_schemas\.sql/);
  // The cluster persists between commands; the schema is still there.
  const again = await cli(['migrate'], env);
  expect(again.stdout).toMatch(/schema is up to date/);
}, 120_000);

test('Ctrl-C during a run records it as interrupted, stops the servers, and the next run proceeds', async () => {
  const env = { SAAS_PIPELINE_HOME: path.join(home, 'interrupted') };
  const folder = path.join(home, 'generated-interrupt');
  expect(
    (
      await cli(
        [
          'generate',
          '--from',
          '2024-01-01',
          '--to',
          '2024-03-31',
          '--users',
          '200',
          '--out',
          folder,
          '--quiet',
        ],
        env,
      )
    ).code,
  ).toBe(0);
  expect((await cli(['upload', folder], env)).code).toBe(0);

  const child = spawn(process.execPath, [CLI, 'run'], {
    env: { ...process.env, DATABASE_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('List new files')) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(130);

  const status = await cli(['status'], env);
  expect({ code: status.code, error: /error: .*/.exec(status.stderr)?.[0] }).toEqual({
    code: 0,
    error: undefined,
  });
  expect(status.stdout).toMatch(/failed[\s\S]*interrupted: the command was stopped/);
  const next = await cli(['run'], env);
  expect(next.code).toBe(0);
  expect(next.stdout).toMatch(/succeeded in/);
}, 120_000);
