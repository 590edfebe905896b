import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { IngestSource } from '../../../lambdas/warehouse/ingest';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { createTestDatabase, snapshotTables, WAREHOUSE_TABLES } from '../../support/database';
import { POISON_FILES, POISON_LINES, goodLines } from '../../support/poison';

// Nothing a producer sends may stop the pipeline: each kind of poison sits beside good lines (or
// good files), the good ones are staged, the poison is quarantined or its file rejected with a
// reason, the run finishes, and the next run with new files goes on as if nothing had happened.

const AS_OF = '2024-03-31';

function source(key: string, bytes: Buffer): IngestSource {
  return {
    bucket: 'landing',
    key,
    etag: createHash('md5').update(bytes).digest('hex'),
    sizeBytes: bytes.length,
    body: Readable.from([bytes]),
  };
}

const lines = (parts: readonly (string | Buffer)[]): Buffer =>
  gzipSync(Buffer.concat(parts.flatMap((part) => [Buffer.from(part), Buffer.from('\n')])));

test('every kind of poisoned line is quarantined with its reason, beside good lines that are staged', async () => {
  const db = await createTestDatabase();
  try {
    const good = goodLines('lines', POISON_LINES.length + 1);
    // good, poison, good, poison, ..., good: poison case i is on line 2i + 2.
    const parts = good.flatMap((line, i) => {
      const poison = POISON_LINES[i];
      return poison ? [line, poison.line] : [line];
    });
    const run = await runWarehouse(db.pool, {
      sources: [source('events/dt=2024-03-05/poisoned.ndjson.gz', lines(parts))],
      asOf: AS_OF,
    });
    expect(run.files[0]).toMatchObject({ status: 'loaded', lines: parts.length });
    expect(run.staging.staged).toBe(good.length);
    expect(run.staging.quarantined).toBe(POISON_LINES.length);

    const { rows } = await db.pool.query<{ line_number: number; reason: string; detail: string }>(
      'select line_number, reason, detail from staging.quarantine order by line_number',
    );
    const got = rows.map((row) => ({ line: row.line_number, reason: row.reason }));
    expect(got).toEqual(POISON_LINES.map((poison, i) => ({ line: 2 * i + 2, reason: poison.reason })));
    POISON_LINES.forEach((poison, i) => {
      if (poison.detail)
        expect({ case: poison.name, detail: rows[i]?.detail }).toEqual({
          case: poison.name,
          detail: expect.stringMatching(poison.detail),
        });
    });
    // A line too long keeps only its first 4 KiB.
    const kept = await db.pool.query<{ n: number }>(
      `select octet_length(raw_line) as n from staging.quarantine where reason = 'line_too_long'`,
    );
    expect(kept.rows[0]?.n).toBeLessThanOrEqual(4096);
    // Nothing false reached readers: the daily series starts on the good day, not in 1970 or year 1.
    const days = await db.pool.query<{ first: string; n: number }>(
      'select min(activity_date)::text as first, count(*)::integer as n from analytics.daily_active_users',
    );
    expect(days.rows[0]).toEqual({ first: '2024-03-05', n: 27 });

    const next = await runWarehouse(db.pool, {
      sources: [source('events/dt=2024-03-06/next.ndjson.gz', lines(goodLines('next')))],
      asOf: AS_OF,
    });
    expect(next.staging).toMatchObject({ staged: 3, quarantined: 0 });
  } finally {
    await db.drop();
  }
});

test('every kind of poisoned file is rejected with its reason; the good files load and later runs go on', async () => {
  const db = await createTestDatabase();
  const clean = await createTestDatabase();
  try {
    const goodFile = () => source('events/dt=2024-03-05/good.ndjson.gz', lines(goodLines('files')));
    const poisoned = POISON_FILES.map((poison, i) =>
      source(`events/dt=2024-03-05/poison-${i}.ndjson.gz`, poison.bytes()),
    );
    const started = Date.now();
    const run = await runWarehouse(db.pool, { sources: [goodFile(), ...poisoned], asOf: AS_OF });
    // The gzip bomb inflates to 1 GiB: it must be stopped long before that.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.staging.staged).toBe(3);
    const ledger = await db.pool.query<{ object_key: string; status: string; reject_reason: string }>(
      'select object_key, status, reject_reason from raw.files order by object_key',
    );
    expect(ledger.rows).toEqual([
      { object_key: 'events/dt=2024-03-05/good.ndjson.gz', status: 'staged', reject_reason: null },
      ...POISON_FILES.map((poison, i) => ({
        object_key: `events/dt=2024-03-05/poison-${i}.ndjson.gz`,
        status: 'rejected',
        reject_reason: poison.rejectReason,
      })),
    ]);
    const kept = await db.pool.query(
      `select count(*)::integer as n from raw.events
       where file_id in (select file_id from raw.files where status = 'rejected')`,
    );
    expect(kept.rows[0].n).toBe(0);

    // Offered again, unchanged, a rejected file is skipped, not tried.
    const again = await runWarehouse(db.pool, {
      sources: POISON_FILES.map((poison, i) =>
        source(`events/dt=2024-03-05/poison-${i}.ndjson.gz`, poison.bytes()),
      ),
      asOf: AS_OF,
    });
    expect(again.files.map((file) => file.status)).toEqual(POISON_FILES.map(() => 'skipped'));

    // The producer repairs the truncated file and uploads it again (a new ETag): it loads, and the
    // tables are those of a warehouse that only ever received the repaired file.
    const repaired = () =>
      source('events/dt=2024-03-05/poison-0.ndjson.gz', lines(goodLines('truncated', 2000)));
    await runWarehouse(db.pool, { sources: [repaired()], asOf: AS_OF });
    await runWarehouse(clean.pool, { sources: [goodFile(), repaired()], asOf: AS_OF });
    expect(await snapshotTables(db.pool, WAREHOUSE_TABLES, { ignoreLineage: true })).toEqual(
      await snapshotTables(clean.pool, WAREHOUSE_TABLES, { ignoreLineage: true }),
    );
  } finally {
    await db.drop();
    await clean.drop();
  }
});
