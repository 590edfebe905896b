import { type Pool, type Queryable, withTransaction } from './db';
import { ANALYTICS_VIEWS, type AnalyticsView } from '../plan';
import { runSqlFile } from './sql-files';

export { ANALYTICS_VIEWS, type AnalyticsView };

/** YYYY-MM-DD naming a day that exists (2024-02-30 does not). */
export function isCalendarDate(text: string): boolean {
  const day = new Date(`${text}T00:00:00Z`);
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(text)
  );
}

/**
 * Fixes the logical date A that every view is computed as of: the one given, else the latest day
 * with events. Returns null when the warehouse has no events and no date was given.
 */
export async function setAnalyticsAsOf(
  pool: Pool,
  options: { asOf?: string; runId?: string } = {},
): Promise<string | null> {
  if (options.asOf !== undefined && !isCalendarDate(options.asOf)) {
    throw new Error(`as-of date must look like 2024-06-30, got ${JSON.stringify(options.asOf)}`);
  }
  const result = await pool.query<{ as_of_date: string }>(
    `insert into ops.analytics_as_of (as_of_date, run_id)
     select as_of_date, $2
     from (select coalesce($1::date, (select max(activity_date) from core.fact_daily_user_activity)) as as_of_date) as chosen
     where as_of_date is not null
     on conflict (singleton) do update set as_of_date = excluded.as_of_date, run_id = excluded.run_id, set_at = now()
     returning as_of_date`,
    [options.asOf ?? null, options.runId ?? null],
  );
  return result.rows[0]?.as_of_date ?? null;
}

/**
 * Refreshes one view in analytics_build, which only the pipeline reads: readers see the published
 * copy in analytics until the run passes its checks and publishes (publishAnalytics).
 */
export async function refreshAnalyticsView(
  pool: Queryable,
  view: AnalyticsView,
): Promise<{ view: AnalyticsView; rows: number }> {
  if (!ANALYTICS_VIEWS.includes(view)) throw new Error(`Unknown analytics view: ${String(view)}`);
  await pool.query('select ops.refresh_build_view($1)', [view]);
  const count = await pool.query<{ n: number }>(`select count(*)::integer as n from analytics_build.${view}`);
  return { view, rows: count.rows[0]?.n ?? 0 };
}

/**
 * The published as-of date when this run has nothing new to show, else null: it staged no file (so
 * no line of it awaits the raw-to-staging checks), no date is pending (whatever changes the core marks
 * its dates pending until a run that publishes them succeeds), and readers already see what it would
 * publish (published_is_current.sql). Such a run stops after staging, with no build, check, refresh
 * or publication. The state machine and the in-process run both ask this.
 */
export async function publishedAsOfIfNothingNew(
  pool: Queryable,
  run: {
    readonly filesStaged: number;
    readonly pendingDates: readonly string[];
    readonly asOf: string | null;
  },
): Promise<string | null> {
  if (run.filesStaged > 0 || run.pendingDates.length > 0) return null;
  const [result] = await runSqlFile(pool, 'steps/analytics/published_is_current.sql', { as_of: run.asOf });
  return (result?.rows[0] as { as_of_date?: string } | undefined)?.as_of_date ?? null;
}

export interface Publication {
  readonly asOf: string | null;
  /** Rows now in each published table. */
  readonly rows: number;
}

/**
 * Makes what this run built and checked what readers see, in one transaction, with its as-of date:
 * the analytics views whole, the star schema for the dates the run rebuilt.
 */
export async function publishAnalytics(
  pool: Pool,
  scope: { runId: string; dates: readonly string[] },
): Promise<Publication> {
  return withTransaction(pool, async (client) => {
    // Two publications never interleave; a second waits and then publishes on top.
    await client.query(`select pg_advisory_xact_lock(hashtext('saas-pipeline:publish'))`);
    // Only a run that still owns the warehouse publishes: one marked abandoned meanwhile (its slot
    // was lost, and another run may be building) must not show readers what it built.
    const { rows: owner } = await client.query<{ status: string }>(
      'select status from ops.runs where run_id = $1 for update',
      [scope.runId],
    );
    const status = owner[0]?.status ?? 'unknown';
    if (status !== 'running')
      throw new Error(`Run ${scope.runId} is ${status}, not running: it publishes nothing`);
    const results = await runSqlFile(client, 'steps/analytics/publish.sql', {
      run_id: scope.runId,
      dates: scope.dates,
    });
    const rows = results.reduce(
      (total, result) => total + (result.command === 'INSERT' ? (result.rowCount ?? 0) : 0),
      0,
    );
    const { rows: asOf } = await client.query<{ as_of_date: string }>(
      'select as_of_date from analytics.as_of',
    );
    return { asOf: asOf[0]?.as_of_date ?? null, rows };
  });
}
