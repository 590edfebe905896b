import type { Pool, PoolClient, Queryable } from './db';
import { withTransaction } from './db';
import { DEFAULT_TIME_ZONE, parseTimeZone } from './time-zone-names';

export { dateIn, DEFAULT_TIME_ZONE, parseTimeZone } from './time-zone-names';

/** The zone this process is configured with: REPORTING_TIME_ZONE, else UTC. */
export function configuredTimeZone(): string {
  const value = process.env.REPORTING_TIME_ZONE;
  return value === undefined || value === '' ? DEFAULT_TIME_ZONE : parseTimeZone(value);
}

/** The zone the warehouse's dates are in (ops.reporting_time_zone). */
export async function warehouseTimeZone(db: Queryable | PoolClient): Promise<string> {
  const { rows } = await db.query<{ time_zone: string }>('select time_zone from ops.reporting_time_zone');
  return rows[0]?.time_zone ?? DEFAULT_TIME_ZONE;
}

/** The configured zone differs from the one a loaded warehouse is built in; a retry cannot fix it. */
export class TimeZoneMismatchError extends Error {
  constructor(
    readonly warehouseZone: string,
    readonly configuredZone: string,
  ) {
    super(
      `The warehouse's days are in ${warehouseZone}, but the reporting time zone is set to ${configuredZone}. ` +
        `Run "saas-pipeline time-zone ${configuredZone}" to rebuild every date in ${configuredZone}, ` +
        `or set REPORTING_TIME_ZONE=${warehouseZone}.`,
    );
    this.name = 'TimeZoneMismatchError';
  }
}

/**
 * At the start of a run: the warehouse's zone when it is the configured one. A warehouse that has
 * staged no event yet takes the configured zone; one that has is refused, never built in two zones.
 */
export async function checkTimeZone(pool: Pool, configured: string): Promise<string> {
  const current = await warehouseTimeZone(pool);
  if (current === configured) return current;
  return withTransaction(pool, async (client) => {
    await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:staging'))`);
    const { rows } = await client.query<{ loaded: boolean }>(
      'select exists (select 1 from staging.events) or exists (select 1 from staging.quarantine) as loaded',
    );
    if (rows[0]?.loaded) throw new TimeZoneMismatchError(current, configured);
    await setZone(client, configured);
    return configured;
  });
}

/** Records the zone, once PostgreSQL has said it knows it. */
async function setZone(client: PoolClient, zone: string): Promise<void> {
  try {
    await client.query('select now() at time zone $1', [zone]);
  } catch {
    throw new RangeError(`PostgreSQL does not know the time zone ${JSON.stringify(zone)}`);
  }
  await client.query('update ops.reporting_time_zone set time_zone = $1, set_at = now()', [zone]);
}

export interface TimeZoneChange {
  readonly from: string;
  readonly to: string;
  /** Dates whose facts the next run rebuilds: every date the warehouse held, in either zone. */
  readonly datesPending: number;
  readonly eventsRedated: number;
}

/**
 * Moves the warehouse to another reporting zone: every staged row's date is computed again in it, and
 * every date, old and new, is marked pending, so that the next run rebuilds every fact and view and
 * publishes them in the new zone only. One transaction under the staging lock: readers keep the old
 * publication until that run publishes.
 */
export async function changeTimeZone(pool: Pool, zone: string): Promise<TimeZoneChange> {
  return withTransaction(pool, async (client) => {
    await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:staging'))`);
    const from = await warehouseTimeZone(client);
    await client.query(`set local work_mem = '256MB'`);
    await client.query(`insert into ops.pending_dates (event_date)
      select distinct event_date from staging.events
      union select distinct event_date from staging.unmapped_events where event_date is not null
      order by 1
      on conflict (event_date) do update set marked_at = excluded.marked_at`);
    await setZone(client, zone);
    const redated = await client.query(
      `update staging.events set event_date = (event_at at time zone $1)::date
       where event_date is distinct from (event_at at time zone $1)::date`,
      [zone],
    );
    await client.query(
      `update staging.unmapped_events set event_date = (event_at at time zone $1)::date
       where event_at is not null and event_date is distinct from (event_at at time zone $1)::date`,
      [zone],
    );
    // And the dates they now fall on.
    await client.query(`insert into ops.pending_dates (event_date)
      select distinct event_date from staging.events order by 1
      on conflict (event_date) do update set marked_at = excluded.marked_at`);
    const pending = await client.query<{ n: number }>('select count(*)::integer as n from ops.pending_dates');
    return {
      from,
      to: zone,
      datesPending: pending.rows[0]?.n ?? 0,
      eventsRedated: redated.rowCount ?? 0,
    };
  });
}
