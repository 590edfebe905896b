import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { stageAllLoadedFiles } from '../../../lambdas/warehouse/staging';
import { ingestFile } from '../../../lambdas/warehouse/ingest';
import { cohortFiles, COHORT_EVENTS } from '../../support/cohort-fixture';
import {
  CORE_AND_ANALYTICS_TABLES,
  createTestDatabase,
  snapshotTables,
  type TestDatabase,
} from '../../support/database';
import { eventLine, fileOf, ndjsonSource } from '../../support/events';

// Whatever still makes a staging or core statement fail must not stop the batch: the rows that do
// are found, quarantined with the database's error, and the rest goes on. Every rule we know of is
// checked before; these tests make PostgreSQL refuse rows the rules let through, with a constraint
// trigger standing in for the failure nobody has foreseen yet.

const AS_OF = '2024-03-15';

/** A trigger that refuses rows whose event_id starts with `prefix`, with a data-class SQLSTATE. */
async function refuse(db: TestDatabase, table: string, prefix: string, sqlstate: string): Promise<void> {
  const name = `refuse_${table.replace('.', '_')}`;
  await db.pool.query(`create function public.${name}() returns trigger language plpgsql as $$
    begin
      if new.event_id like '${prefix}%' then
        raise exception 'refused % (simulated)', new.event_id using errcode = '${sqlstate}';
      end if;
      return new;
    end $$`);
  await db.pool.query(
    `create trigger ${name} before insert on ${table} for each row execute function public.${name}()`,
  );
}

const breaking = (id: string, at: string) => eventLine({ id, type: 'user_login', at, user: 'u1' });

/** The cohort and one more file whose lines 2 and 4 the database will refuse. */
function filesWithRefusedLines(prefix: string) {
  return [
    ...cohortFiles(),
    ndjsonSource('events/dt=2024-01-12/refused.ndjson.gz', [
      eventLine({ id: 'ok-1', type: 'user_login', at: '2024-01-12T08:00:00Z', user: 'u1' }),
      breaking(`${prefix}-1`, '2024-01-12T09:00:00Z'),
      eventLine({ id: 'ok-2', type: 'user_login', at: '2024-01-12T10:00:00Z', user: 'u2' }),
      breaking(`${prefix}-2`, '2024-01-12T11:00:00Z'),
    ]),
  ];
}

/** Staging, core and analytics, without the lineage that load order decides. */
const tablesOf = (db: TestDatabase) =>
  snapshotTables(db.pool, ['staging.events', ...CORE_AND_ANALYTICS_TABLES], { ignoreLineage: true });

let clean: TestDatabase;
let expected: Record<string, unknown[]>;
beforeAll(async () => {
  // The warehouse as it would be had the refused lines never arrived.
  clean = await createTestDatabase();
  await runWarehouse(clean.pool, {
    sources: [
      ...cohortFiles(),
      ndjsonSource('events/dt=2024-01-12/refused.ndjson.gz', [
        eventLine({ id: 'ok-1', type: 'user_login', at: '2024-01-12T08:00:00Z', user: 'u1' }),
        eventLine({ id: 'ok-2', type: 'user_login', at: '2024-01-12T10:00:00Z', user: 'u2' }),
      ]),
    ],
    asOf: AS_OF,
  });
  expected = await tablesOf(clean);
});
afterAll(() => clean.drop());

test.each([
  ['a data exception', '22023'],
  ['a check constraint', '23514'],
  ['an index entry too large', '54000'],
])(
  'rows refused by staging (%s) are quarantined with the error; the batch goes on',
  async (_kind, sqlstate) => {
    const db = await createTestDatabase();
    try {
      await refuse(db, 'staging.events', 'break-', sqlstate);
      const run = await runWarehouse(db.pool, { sources: filesWithRefusedLines('break'), asOf: AS_OF });
      expect(run.staging.rejectedByDatabase).toBe(2);
      const { rows } = await db.pool.query(
        `select line_number, reason, detail, payload ->> 'event_id' as event_id from staging.quarantine order by line_number`,
      );
      expect(rows).toEqual([
        {
          line_number: 2,
          reason: 'rejected_by_database',
          detail: expect.stringMatching(new RegExp(`^${sqlstate}: refused break-1`)),
          event_id: 'break-1',
        },
        {
          line_number: 4,
          reason: 'rejected_by_database',
          detail: expect.stringMatching(/refused break-2/),
          event_id: 'break-2',
        },
      ]);
      // The rest is what it would have been; the gate's reconciliation of every line passed.
      expect(await tablesOf(db)).toEqual(expected);
    } finally {
      await db.drop();
    }
  },
);

test('an event refused by a core model leaves staging for the quarantine; the model and the run go on', async () => {
  const db = await createTestDatabase();
  try {
    await refuse(db, 'core.fact_events', 'core-break-', '22003');
    const run = await runWarehouse(db.pool, { sources: filesWithRefusedLines('core-break'), asOf: AS_OF });
    expect(run.models.find((model) => model.model === 'fact_events')).toMatchObject({
      rejectedByDatabase: 2,
    });
    const quarantined = await db.pool.query(
      `select reason, payload ->> 'event_id' as event_id from staging.quarantine order by 2`,
    );
    expect(quarantined.rows).toEqual([
      { reason: 'rejected_by_database', event_id: 'core-break-1' },
      { reason: 'rejected_by_database', event_id: 'core-break-2' },
    ]);
    const ledger = await db.pool.query(
      `select staged_rows, quarantined_rows from raw.files where object_key like '%refused%'`,
    );
    expect(ledger.rows).toEqual([{ staged_rows: 2, quarantined_rows: 2 }]);
    // Its date is pending again, so that the models built beside it in this run are rebuilt without it.
    const pending = await db.pool.query('select event_date::text as d from ops.pending_dates');
    expect(pending.rows).toEqual([{ d: '2024-01-12' }]);
    await runWarehouse(db.pool, { asOf: AS_OF });
    expect(await tablesOf(db)).toEqual(expected);
  } finally {
    await db.drop();
  }
});

test('an event refused by a dimension leaves staging, and the facts built before it are rebuilt without it', async () => {
  const db = await createTestDatabase();
  try {
    // dim_users refuses one user: every event of that user on the day makes it fail.
    await db.pool.query(`create function public.refuse_user() returns trigger language plpgsql as $$
      begin
        if new.user_id = 'baduser' then raise exception 'refused user (simulated)' using errcode = '23514'; end if;
        return new;
      end $$`);
    await db.pool.query(
      `create trigger refuse_user before insert on core.dim_users for each row execute function public.refuse_user()`,
    );
    const run = await runWarehouse(db.pool, {
      sources: [
        ...cohortFiles(),
        ndjsonSource('events/dt=2024-01-12/refused.ndjson.gz', [
          eventLine({ id: 'ok-1', type: 'user_login', at: '2024-01-12T08:00:00Z', user: 'u1' }),
          eventLine({ id: 'bad-1', type: 'user_login', at: '2024-01-12T09:00:00Z', user: 'baduser' }),
          eventLine({ id: 'ok-2', type: 'user_login', at: '2024-01-12T10:00:00Z', user: 'u2' }),
          eventLine({ id: 'bad-2', type: 'user_logout', at: '2024-01-12T11:00:00Z', user: 'baduser' }),
        ]),
      ],
      asOf: AS_OF,
    });
    // The run passed its gate in the same run: the facts no longer hold the user's events either.
    expect(run.models.find((model) => model.model === 'dim_users')).toMatchObject({ rejectedByDatabase: 2 });
    const facts = await db.pool.query(
      `select count(*)::integer as n from core.fact_events where user_id = 'baduser'`,
    );
    expect(facts.rows[0].n).toBe(0);
    await runWarehouse(db.pool, { asOf: AS_OF });
    expect(await tablesOf(db)).toEqual(expected);
  } finally {
    await db.drop();
  }
});

test('a failure that no row causes is not blamed on rows: the batch fails and nothing is quarantined', async () => {
  const db = await createTestDatabase();
  try {
    for (const file of cohortFiles()) await ingestFile(db.pool, file);
    // Every row fails, whatever it holds: no part of the batch passes, so no row can be singled out.
    await db.pool.query(`create function public.refuse_all() returns trigger language plpgsql as $$
      begin raise exception 'out of range (simulated)' using errcode = '22003'; end $$`);
    await db.pool.query(
      `create trigger refuse_all before insert on staging.events for each row execute function public.refuse_all()`,
    );
    await expect(stageAllLoadedFiles(db.pool)).rejects.toThrow(/too many to be bad rows.*out of range/);
    const quarantined = await db.pool.query(`select count(*)::integer as n from staging.quarantine`);
    expect(quarantined.rows[0].n).toBe(0);
    expect(COHORT_EVENTS.length).toBeGreaterThan(10);
  } finally {
    await db.drop();
  }
});

test('staging in small batches gives the same warehouse as one batch', async () => {
  const db = await createTestDatabase();
  try {
    for (const file of cohortFiles()) await ingestFile(db.pool, file);
    await ingestFile(
      db.pool,
      fileOf('events/dt=2024-01-12/refused.ndjson.gz', [
        { id: 'ok-1', type: 'user_login', at: '2024-01-12T08:00:00Z', user: 'u1' },
        { id: 'ok-2', type: 'user_login', at: '2024-01-12T10:00:00Z', user: 'u2' },
      ]),
    );
    const staged = await stageAllLoadedFiles(db.pool, { batchLimits: { lines: 5, inflatedBytes: 1e12 } });
    const batches = await db.pool.query('select count(*)::integer as n from ops.staging_batches');
    expect(batches.rows[0].n).toBeGreaterThan(3);
    expect(staged.filesWaiting).toBe(0);
    await runWarehouse(db.pool, { asOf: AS_OF });
    expect(await tablesOf(db)).toEqual(expected);
  } finally {
    await db.drop();
  }
});
