/**
 * What the engagement models (issue 13: lifecycle, N-day retention, sessions, the activation funnel)
 * cost in the warehouse benchmark, as a share of the whole run's step time (goal: under 15%): the
 * steps of their own, by name; and what reading the reporting time zone costs staging, measured as
 * the staging view's pass over every raw event with the zone read from ops.reporting_time_zone and
 * with the constant 'UTC' it replaced, taking turns, medians of 3.
 */
import type { Pool } from '../lambdas/warehouse/db';

/** The steps the engagement models added to a run. */
const ENGAGEMENT_STEPS = [
  'build_fact_sessions',
  'refresh_user_lifecycle_weekly',
  'refresh_user_lifecycle_monthly',
  'refresh_user_retention_days',
  'refresh_session_metrics',
  'refresh_activation_funnel',
];

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Seconds to compute every raw event's date, as the staging view does, with the zone given. */
async function datingSeconds(pool: Pool, zone: string): Promise<number> {
  const started = performance.now();
  await pool.query(
    `select count(distinct (staging.try_timestamptz(e.payload ->> 'event_timestamp') at time zone ${zone})::date)
     from raw.events as e`,
  );
  return (performance.now() - started) / 1000;
}

/** The lines to print, from the run's step seconds and its warehouse, still loaded. */
export async function engagementCostLines(
  pool: Pool,
  stepSeconds: ReadonlyMap<string, number>,
): Promise<string[]> {
  const total = [...stepSeconds.values()].reduce((sum, s) => sum + s, 0);
  const own = ENGAGEMENT_STEPS.reduce((sum, step) => sum + (stepSeconds.get(step) ?? 0), 0);
  const fromTable: number[] = [];
  const constant: number[] = [];
  for (let i = 0; i < 3; i++) {
    fromTable.push(await datingSeconds(pool, '(select time_zone from ops.reporting_time_zone)'));
    constant.push(await datingSeconds(pool, `'UTC'`));
  }
  const zone = Math.max(0, median(fromTable) - median(constant));
  const share = (s: number) => `${((100 * s) / total).toFixed(1)}%`;
  const line = (label: string, value: number, extra = '') =>
    `  ${label.padEnd(34)} ${value.toFixed(2).padStart(6)} s  (${share(value)}${extra})`;
  return [
    `engagement models and the reporting time zone, share of the run's ${total.toFixed(2)} s of step time:`,
    ...ENGAGEMENT_STEPS.map((step) => line(step, stepSeconds.get(step) ?? 0)),
    line(`their own steps (${ENGAGEMENT_STEPS.length})`, own),
    line(
      'the zone, read in staging',
      zone,
      `; every raw event dated: ${median(fromTable).toFixed(2)} s read, ${median(constant).toFixed(2)} s constant, medians of 3`,
    ),
    `${line('together', own + zone)}  goal < 15%`,
  ];
}
