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
const AS_OF = '2024-01-14';
const TABLES = [...WAREHOUSE_TABLES, ...PUBLISHED_TABLES];

let s3: TestS3;
let home: string;
let reference: Record<string, unknown[]>;
beforeAll(async () => {
  s3 = await startTestS3(['landing']);
  home = await mkdtemp(path.join(tmpdir(), 'saas-pipeline-crash-'));
  await chmod(home, 0o755);
  // Two weeks with 1% bad lines. The run is caught in each kind of work by a lock it must wait for, so
  // the work need not last long.
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

/**
 * How to catch a run in the middle of each kind of work. Where a table the work writes exists, the
 * test holds a lock on it that the work must wait for, so the run is caught there for certain: the
 * moment is when a backend of the run waits for that lock. A migration on an empty database has no
 * table yet, so it is caught holding its own advisory lock, which lasts the whole migration.
 */
/** A backend waits for a table lock (the test's), not for one of the pipeline's advisory locks. */
const WAITS = `a.wait_event_type = 'Lock' and a.wait_event = 'relation'`;

const MOMENTS: Record<string, { readonly block?: string; readonly seen: string }> = {
  migration: {
    seen: `exists (select 1 from pg_locks as l where l.pid = a.pid and l.locktype = 'advisory' and l.granted
      and l.objid = (hashtext('saas-pipeline:migrate')::bigint & 4294967295)::oid)`,
  },
  // COPY waits; the ledger row it claimed is in the same transaction.
  loading: { block: 'lock table raw.events in share mode', seen: WAITS },
  staging: { block: 'lock table staging.events in share mode', seen: WAITS },
  // fact_events is built and committed first; the daily aggregates then wait.
  core: {
    block: 'lock table core.fact_daily_user_activity in share mode',
    seen: WAITS,
  },
  // One view waits; the other three may be refreshed by then.
  refresh: {
    // A materialized view cannot be named in LOCK; a query on it in a transaction holds the same lock.
    // `where false` reads nothing: the migration leaves the view empty until a run refreshes it.
    block: 'select count(*) from analytics_build.daily_active_users where false',
    seen: WAITS,
  },
  // The as-of date is published last: every other table has been written when it waits.
  publication: { block: 'lock table analytics.as_of in exclusive mode', seen: WAITS },
};

/**
 * Starts the run, holds the moment's lock if it has one, waits until the run is caught in the moment
 * (a minute at most), kills it with SIGKILL, and lets the lock go.
 */
async function killDuring(db: TestDatabase, moment: string): Promise<Finished> {
  const { block, seen } = MOMENTS[moment] as (typeof MOMENTS)[string];
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  try {
    if (block) await locker.query(`begin; ${block}`);
    const doomed = startRun(db);
    const done = finished(doomed);
    await waitUntil(db, seen, doomed, moment);
    doomed.kill('SIGKILL');
    return await done;
  } finally {
    await locker.query('rollback').catch(() => undefined);
    await locker.end();
  }
}

/**
 * Polls pg_stat_activity from a connection of its own, outside any transaction: inside one,
 * PostgreSQL shows every query the same snapshot of it until the transaction ends.
 */
async function waitUntil(db: TestDatabase, seen: string, child: ChildProcess, moment: string): Promise<void> {
  const watcher = new pg.Client({ connectionString: db.url });
  await watcher.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the run ended (code ${child.exitCode}) before ${moment}`);
      if (Date.now() > deadline) throw new Error(`never saw ${moment}`);
      const { rows } = await watcher.query(
        `select 1 from pg_stat_activity as a
         where a.datname = current_database() and a.pid <> pg_backend_pid() and ${seen}`,
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
  } finally {
    await watcher.end();
  }
}

test('kill -9 during a migration of an empty database, then run again: the tables of a clean run', async () => {
  const db = await createTestDatabase({ migrate: false });
  try {
    expect((await killDuring(db, 'migration')).signal).toBe('SIGKILL');
    // The migration is one transaction: nothing of it is left.
    const left = await db.pool.query(
      `select count(*)::integer as n from pg_namespace where nspname in ('raw', 'ops')`,
    );
    expect(left.rows[0].n).toBe(0);
    const next = await finished(startRun(db));
    expect(next.code).toBe(0);
    expect(await snapshotTables(db.pool, TABLES, { ignoreLineage: true })).toEqual(reference);
  } finally {
    await db.drop();
  }
});

test('kill -9 during loading, staging, core, refresh and publication, one after another: then the tables of a clean run', async () => {
  const db = await createTestDatabase();
  try {
    for (const moment of ['loading', 'staging', 'core', 'refresh', 'publication']) {
      const killed = await killDuring(db, moment);
      expect({ moment, signal: killed.signal }).toEqual({ moment, signal: 'SIGKILL' });
    }
    const next = await finished(startRun(db));
    expect(next.code).toBe(0);
    expect(await snapshotTables(db.pool, TABLES, { ignoreLineage: true })).toEqual(reference);
    // No dead run blocked the next: each is marked abandoned.
    const runs = await db.pool.query<{ status: string }>('select status from ops.runs order by started_at');
    expect(runs.rows.map((run) => run.status)).toEqual([...Array(5).fill('abandoned'), 'succeeded']);
  } finally {
    await db.drop();
  }
});

test('two runs at once: the second stops at once; after the first is killed, the next run takes over', async () => {
  const db = await createTestDatabase();
  try {
    // The second run starts while the first is held in staging, which is then killed.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query(`begin; ${MOMENTS.staging?.block}`);
    const first = startRun(db);
    const firstDone = finished(first);
    try {
      await waitUntil(db, WAITS, first, 'staging');
      const started = Date.now();
      const second = await finished(startRun(db));
      expect({ code: second.code, output: second.output }).toEqual({
        code: 4,
        output: expect.stringMatching(/is still running; two runs never interleave/),
      });
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      first.kill('SIGKILL');
      await firstDone;
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
    }
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
