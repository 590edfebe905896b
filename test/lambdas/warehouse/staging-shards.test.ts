import { createPool } from '../../../lambdas/warehouse/db';
import { ingestFile } from '../../../lambdas/warehouse/ingest';
import { stageLoadedFiles } from '../../../lambdas/warehouse/staging';
import { cohortFiles } from '../../support/cohort-fixture';
import { createTestDatabase, snapshotTables, type TestDatabase } from '../../support/database';
import { eventLine, ndjsonSource } from '../../support/events';

const STAGING_TABLES = ['staging.events', 'staging.quarantine', 'staging.duplicates', 'ops.pending_dates'];
const LEDGER = `select object_key, status, line_count, staged_rows, quarantined_rows, duplicate_rows from raw.files order by object_key`;

/** The cohort, plus a file of duplicates and bad lines, loaded in the same order every time. */
async function loadFixture(db: TestDatabase): Promise<void> {
  for (const file of cohortFiles()) await ingestFile(db.pool, file);
  await ingestFile(
    db.pool,
    ndjsonSource('events/dt=2024-03-14/part-0001.ndjson.gz', [
      eventLine({ id: 'u1-login-1', type: 'user_login', at: '2024-01-10T10:01:00Z', user: 'u1' }),
      eventLine({ id: 'late-1', type: 'user_login', at: '2024-01-11T10:00:00Z', user: 'u2' }),
      eventLine({ id: 'late-1', type: 'user_login', at: '2024-01-11T10:00:00Z', user: 'u2' }),
      '{"broken',
      eventLine({ id: 'bad-ts', type: 'user_login', at: 'soon', user: 'u2' }),
    ]),
  );
}

async function stagedWith(shards: number, before?: (db: TestDatabase) => Promise<void>) {
  const db = await createTestDatabase();
  try {
    await loadFixture(db);
    await before?.(db);
    return {
      tables: await snapshotTables(db.pool, STAGING_TABLES),
      ledger: (await db.pool.query(LEDGER)).rows,
      db,
    };
  } finally {
    await db.drop();
  }
}

test('one shard and three shards stage identical rows, quarantine and duplicates', async () => {
  const one = await stagedWith(1, async (db) => void (await stageLoadedFiles(db.pool, { shards: 1 })));
  const three = await stagedWith(3, async (db) => void (await stageLoadedFiles(db.pool, { shards: 3 })));
  expect(three.tables).toEqual(one.tables);
  expect(three.ledger).toEqual(one.ledger);
  expect(one.tables['staging.duplicates']).toHaveLength(2);
  expect(one.tables['staging.quarantine']).toHaveLength(2);
});

test('a batch interrupted by a failing shard is finished by the next call, with only the missing shards', async () => {
  const clean = await stagedWith(2, async (db) => void (await stageLoadedFiles(db.pool, { shards: 2 })));
  const resumed = await stagedWith(2, async (db) => {
    // A trigger that fails the shard holding one event: the other shard commits, this one does not.
    await db.pool.query(`create function public.fail_one_event() returns trigger language plpgsql as $$
      begin if new.event_id = 'u3-login-1' then raise exception 'disk full (simulated)'; end if; return new; end $$`);
    await db.pool.query(
      `create trigger fail_once before insert on staging.events for each row execute function public.fail_one_event()`,
    );
    await expect(stageLoadedFiles(db.pool, { shards: 2 })).rejects.toThrow(/disk full/);
    const done = await db.pool.query('select count(*)::integer as n from ops.staging_shards');
    expect(done.rows[0].n).toBe(1);
    expect(
      (await db.pool.query(`select count(*)::integer as n from raw.files where status = 'staged'`)).rows[0].n,
    ).toBe(0);

    await db.pool.query('drop trigger fail_once on staging.events');
    // Asking for a different shard count does not matter: the open batch keeps its own.
    const result = await stageLoadedFiles(db.pool, { shards: 5 });
    expect(result.files).toBe(cohortFiles().length + 1);
    expect((await db.pool.query('select count(*)::integer as n from ops.staging_batches')).rows[0].n).toBe(1);
  });
  expect(resumed.tables).toEqual(clean.tables);
  expect(resumed.ledger).toEqual(clean.ledger);
});

test('the safe timestamp casts also work where the server runs the staging queries in parallel workers', async () => {
  const db = await createTestDatabase();
  // Every new session of this database plans with parallel workers wherever it may.
  await db.pool.query(`alter database ${new URL(db.url).pathname.slice(1)} set force_parallel_mode = on`);
  const parallel = createPool(db.url, 4);
  try {
    await ingestFile(
      parallel,
      ndjsonSource('events/dt=2024-02-28/part-0000.ndjson.gz', [
        eventLine({ id: 'ok', type: 'user_login', at: '2024-02-28T10:00:00Z', user: 'u1' }),
        eventLine({ id: 'impossible', type: 'user_login', at: '2024-02-30T10:00:00Z', user: 'u1' }),
      ]),
    );
    expect(await stageLoadedFiles(parallel, { shards: 2 })).toMatchObject({ staged: 1, quarantined: 1 });
  } finally {
    await parallel.end();
    await db.drop();
  }
});
