import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { generate } from '../../../generator';
import {
  createTestDatabase,
  PUBLISHED_TABLES,
  snapshotTables,
  type TestDatabase,
  WAREHOUSE_TABLES,
} from '../../support/database';
import { startTestS3, type TestS3 } from '../../support/s3';

// kill -9 at any moment, then a new run: the tables must be those of a clean run. A real
// `saas-pipeline run` runs in its own process; when PostgreSQL shows it in the middle of one kind of
// work, it is killed with SIGKILL and a new run starts, which is killed in the next kind of work, and
// so on: each run inherits what every earlier crash left behind.

jest.setTimeout(240_000);

const CLI = path.resolve(__dirname, '../../../bin/saas-pipeline.js');
const AS_OF = '2024-02-15';
const TABLES = [...WAREHOUSE_TABLES, ...PUBLISHED_TABLES];

let s3: TestS3;
let home: string;
let reference: Record<string, unknown[]>;
beforeAll(async () => {
  s3 = await startTestS3(['landing']);
  home = await mkdtemp(path.join(tmpdir(), 'saas-pipeline-crash-'));
  await chmod(home, 0o755);
  // Six weeks, about 140,000 events with 1% bad lines: each kind of work lasts long enough to be caught in.
  await generate({
    from: '2024-01-01',
    to: AS_OF,
    seed: 11,
    badRate: 0.01,
    s3: { client: s3.client, bucket: 'landing' },
  });
  const clean = await createTestDatabase({ migrate: false });
  try {
    const first = await finished(startRun(clean));
    expect(first.code).toBe(0);
    reference = await snapshotTables(clean.pool, TABLES, { ignoreLineage: true });
  } finally {
    await clean.drop();
  }
});
afterAll(async () => {
  await s3?.close();
  await rm(home, { recursive: true, force: true });
});

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function startRun(db: TestDatabase): ChildProcess & { output: string[] } {
  const child = spawn(process.execPath, [CLI, 'run', '--as-of', AS_OF], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      S3_ENDPOINT: s3.endpoint,
      LANDING_BUCKET: 'landing',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      SAAS_PIPELINE_HOME: home,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  child.stdout?.on('data', (chunk: Buffer) => child.output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => child.output.push(chunk.toString()));
  return child;
}

function finished(child: ChildProcess & { output: string[] }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output: child.output.join('') }));
  });
}

/** What PostgreSQL shows a run doing, for each moment we kill it in. */
const MOMENTS: Record<string, string> = {
  migration: `exists (select 1 from pg_locks as l where l.pid = a.pid and l.locktype = 'advisory'
                and l.granted and l.objid = (hashtext('saas-pipeline:migrate')::bigint & 4294967295)::oid)`,
  loading: `a.query ilike 'copy raw.events%'`,
  // pg_stat_activity keeps the first 1,024 bytes of a statement: match what comes early in it.
  staging: `a.query ilike '%from staging.raw_events_checked%'`,
  core: `a.query ilike '%insert into core.fact_daily_user_activity%'`,
  refresh: `a.query ilike '%refresh_build_view%'`,
  publication: `a.query ilike '%insert into analytics.%'`,
};

/** Polls until a backend of this database is in the given moment; fails after a minute. */
async function waitForMoment(db: TestDatabase, moment: string, child: ChildProcess): Promise<void> {
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the run ended (code ${child.exitCode}) before ${moment}`);
      const { rows } = await admin.query(
        `select 1 from pg_stat_activity as a
         where a.datname = current_database() and a.pid <> pg_backend_pid() and a.state = 'active'
           and ${MOMENTS[moment]}`,
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    throw new Error(`never saw ${moment}`);
  } finally {
    await admin.end();
  }
}

test('kill -9 during migration, loading, staging, core, refresh and publication, one after another: then the tables of a clean run', async () => {
  const db = await createTestDatabase({ migrate: false });
  try {
    for (const moment of Object.keys(MOMENTS)) {
      const doomed = startRun(db);
      const done = finished(doomed);
      await waitForMoment(db, moment, doomed);
      doomed.kill('SIGKILL');
      expect({ moment, signal: (await done).signal }).toEqual({ moment, signal: 'SIGKILL' });
    }
    const next = await finished(startRun(db));
    expect(next.code).toBe(0);
    expect(await snapshotTables(db.pool, TABLES, { ignoreLineage: true })).toEqual(reference);
    // No dead run blocked the next: each is marked abandoned (the first died before it began).
    const runs = await db.pool.query<{ status: string }>('select status from ops.runs order by started_at');
    expect(runs.rows.map((run) => run.status)).toEqual([...Array(5).fill('abandoned'), 'succeeded']);
  } finally {
    await db.drop();
  }
});

test('two runs at once: the second stops at once; after the first is killed, the next run takes over', async () => {
  const db = await createTestDatabase();
  try {
    const first = startRun(db);
    const firstDone = finished(first);
    await waitForMoment(db, 'staging', first);
    const started = Date.now();
    const second = await finished(startRun(db));
    expect(second.code).toBe(4);
    expect(second.output).toMatch(/is still running; two runs never interleave/);
    expect(Date.now() - started).toBeLessThan(20_000);

    first.kill('SIGKILL');
    await firstDone;
    const third = await finished(startRun(db));
    expect(third.code).toBe(0);
    const runs = await db.pool.query<{ status: string; error: string | null }>(
      'select status, error from ops.runs order by started_at',
    );
    expect(runs.rows).toEqual([
      { status: 'abandoned', error: expect.stringMatching(/the process that ran it is gone/) },
      { status: 'succeeded', error: null },
    ]);
    expect(await snapshotTables(db.pool, TABLES, { ignoreLineage: true })).toEqual(reference);
  } finally {
    await db.drop();
  }
});
