import {
  analyzeIfMuchChanged,
  assertFewBlamed,
  halve,
  type IsolationLimits,
  isolationTookTooLong,
  isRowDataError,
  prepareBulkTransaction,
  rowFailureOf,
} from './bulk';
import { type Pool, type PoolClient, type Queryable, withTransaction } from './db';
import { CORE_MODELS, type CoreModel, groupIndexOf, shardCountOf } from '../plan';
import { runSqlFile } from './sql-files';

export type { CoreModel };

export interface ModelResult {
  readonly model: CoreModel;
  readonly dates: number;
  /** Rows written by the model's last statement. */
  readonly rows: number;
  /** Staged events that made the model fail, moved to the quarantine as rejected_by_database. */
  readonly rejectedByDatabase?: number;
}

export interface ModelShard {
  readonly shard: number;
  readonly shardCount: number;
}

export async function readPendingDates(db: Queryable): Promise<string[]> {
  const result = await db.query<{ event_date: string }>(
    'select event_date from ops.pending_dates order by event_date',
  );
  return result.rows.map((row) => row.event_date);
}

/**
 * Rebuilds one core model for the pending dates (or one shard of them), in one transaction: the
 * model's old rows or its new ones, never half. Should a staged event's values still make the model
 * fail, the events that do are found and quarantined, and the model is built without them.
 */
export async function buildCoreModel(
  pool: Pool,
  model: CoreModel,
  part: ModelShard = { shard: 0, shardCount: 1 },
): Promise<ModelResult> {
  if (!CORE_MODELS.includes(model)) throw new Error(`Unknown core model: ${String(model)}`);
  // Only a model that the plan splits by date may be split: the others share rows between dates.
  if (part.shardCount > 1 && shardCountOf(model) === 1) throw new Error(`${model} cannot be built in shards`);
  return withTransaction(pool, async (client) => {
    await prepareBulkTransaction(client, `model:${model}:${part.shard}/${part.shardCount}`);
    const dates = (await readPendingDates(client)).filter((_, i) => i % part.shardCount === part.shard);
    if (dates.length === 0) return { model, dates: 0, rows: 0 };
    const build = () => runSqlFile(client, `steps/core/${model}.sql`, { dates });
    let rejectedByDatabase = 0;
    await client.query('savepoint model_build');
    let results;
    try {
      results = await build();
    } catch (error) {
      await client.query('rollback to savepoint model_build');
      if (!isRowDataError(error)) throw error;
      const isolated = await isolateFailingEvents(client, model, dates);
      rejectedByDatabase = isolated.found;
      if (rejectedByDatabase === 0) throw error;
      await assertFewRejected(client, dates, rejectedByDatabase, error);
      await rebuildEarlierModels(client, model, isolated.dates);
      results = await build();
    }
    const rows = results.at(-1)?.rowCount ?? 0;
    await analyzeIfMuchChanged(client, `core.${model}`, rows);
    return { model, dates: dates.length, rows, ...(rejectedByDatabase > 0 ? { rejectedByDatabase } : {}) };
  });
}

/**
 * The models of the groups before this one were built from the events just quarantined, and have
 * committed: rebuilt here for those dates, in this transaction, they agree with staging again before
 * the quality gate compares them. (Models of the same group were built beside this one; the dates'
 * new pending mark has the next run rebuild them.)
 */
async function rebuildEarlierModels(client: PoolClient, model: CoreModel, dates: string[]): Promise<void> {
  if (dates.length === 0) return;
  const group = groupIndexOf(model);
  for (const earlier of CORE_MODELS.filter((other) => groupIndexOf(other) < group))
    await runSqlFile(client, `steps/core/${earlier}.sql`, { dates });
}

/**
 * Past these, a failing model is a bug to fix rather than a few bad events to set aside: more than
 * 100 events, or more than half of the dates' events, and the model fails with nothing quarantined.
 */
const ISOLATION_LIMITS: IsolationLimits = { rows: 100, probes: 2000, share: 0.5, seconds: 300 };

async function assertFewRejected(
  client: PoolClient,
  dates: string[],
  rejected: number,
  failure: unknown,
): Promise<void> {
  const { rows } = await client.query<{ n: number }>(
    'select count(*)::integer as n from staging.events where event_date = any($1::date[])',
    [dates],
  );
  assertFewBlamed(ISOLATION_LIMITS, rejected, (rows[0]?.n ?? 0) + rejected, 'events', failure);
}

/**
 * Finds the staged events whose values make a core model fail, by halving: first the dates (the
 * model takes them as its input), then the events of a failing date, keeping only a part of them in
 * a savepoint that is always rolled back. Each one found leaves staging for the quarantine, in this
 * transaction; its date is marked pending again so that every model is rebuilt without it. A date
 * that fails even with none of its own events (a dimension reading other dates) is left alone.
 */
async function isolateFailingEvents(
  client: PoolClient,
  model: CoreModel,
  dates: string[],
): Promise<{ found: number; dates: string[] }> {
  let probes = 0;
  let found = 0;
  const deadline = Date.now() + ISOLATION_LIMITS.seconds * 1000;
  const culpritDates = new Set<string>();
  const probe = (probeDates: string[], keepOnly?: { date: string; low: number; high: number }) => {
    if (++probes > ISOLATION_LIMITS.probes || found >= ISOLATION_LIMITS.rows) return Promise.resolve(null);
    if (Date.now() > deadline) return Promise.reject(isolationTookTooLong(ISOLATION_LIMITS, found));
    return rowFailureOf(client, async () => {
      if (keepOnly) {
        await client.query(
          `delete from staging.events as e
           where e.event_date = $1 and not exists (
             select 1 from core_isolation_events as k
             where k.event_id = e.event_id and k.position between $2 and $3)`,
          [keepOnly.date, keepOnly.low, keepOnly.high],
        );
      }
      await runSqlFile(client, `steps/core/${model}.sql`, { dates: probeDates });
    });
  };
  const inDate = async (date: string): Promise<void> => {
    await client.query(`create temp table if not exists core_isolation_events (
      position integer primary key, event_id text collate "C" not null) on commit drop`);
    await client.query('truncate core_isolation_events');
    // A failure that does not need this date's events is not theirs to answer for.
    if ((await probe([date], { date, low: 1, high: 0 })) !== null) return;
    const { rows } = await client.query<{ n: number }>(
      `with numbered as (
         insert into core_isolation_events (position, event_id)
         select row_number() over (order by event_id), event_id from staging.events where event_date = $1
         returning 1
       ) select count(*)::integer as n from numbered`,
      [date],
    );
    const count = rows[0]?.n ?? 0;
    if (count === 0) return;
    await halve(
      1,
      count,
      (low, high) => probe([date], { date, low, high }),
      async (position, error) => {
        await quarantineStagedEvent(client, date, position, error);
        culpritDates.add(date);
        found++;
      },
    );
  };
  await halve(
    0,
    dates.length - 1,
    (from, to) => probe(dates.slice(from, to + 1)),
    (position) => inDate(dates[position] as string),
  );
  return { found, dates: [...culpritDates].sort() };
}

/** Moves one staged event to the quarantine, keeps the file's ledger counts exact, and marks its date again. */
async function quarantineStagedEvent(
  client: PoolClient,
  date: string,
  position: number,
  error: Error,
): Promise<void> {
  const code = (error as { code?: string }).code ?? '';
  await client.query(
    `with picked as (
       select e.event_id, e.file_id, e.line_number
       from staging.events as e
       inner join core_isolation_events as k on k.event_id = e.event_id
       where k.position = $1
     ),
     removed as (
       delete from staging.events as e using picked where e.event_id = picked.event_id
       returning e.file_id, e.line_number, e.event_date
     ),
     quarantined as (
       insert into staging.quarantine (file_id, line_number, reason, detail, payload, raw_line)
       select removed.file_id, removed.line_number, 'rejected_by_database', left($2, 1000), r.payload, r.line
       from removed
       left join raw.events as r on r.file_id = removed.file_id and r.line_number = removed.line_number
       returning file_id
     ),
     counted as (
       update raw.files as f set staged_rows = f.staged_rows - 1, quarantined_rows = f.quarantined_rows + 1
       from quarantined where f.file_id = quarantined.file_id
     )
     insert into ops.pending_dates (event_date)
     select $3::date
     on conflict (event_date) do update set marked_at = clock_timestamp()`,
    [position, `${code}: ${error.message.replace(/^steps\/core\/\w+\.sql: /, '')}`, date],
  );
}
