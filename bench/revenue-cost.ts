/**
 * What the revenue and account models (issue 11) cost in the warehouse benchmark, as a share of the
 * whole run's step time (goal: under 10%): the steps of their own, by name, and the account that
 * core.fact_daily_user_activity takes in its pass over the events, measured as that model's
 * aggregate over the whole history with and without the account expressions, and their two quality
 * checks (whose time the run records only within the gate's), run again over every date.
 */
import type { Pool } from '../lambdas/warehouse/db';
import { runSqlFile } from '../lambdas/warehouse/sql-files';

/** The steps the revenue and account models added to a run. */
const REVENUE_STEPS = [
  'build_dim_user_accounts',
  'build_dim_accounts',
  'build_fact_subscription_changes',
  'build_fact_customer_mrr_monthly',
  'refresh_mrr_monthly',
  'refresh_trial_to_paid',
  'refresh_account_health',
  'refresh_daily_active_accounts',
  'refresh_account_retention_cohorts',
];

const REVENUE_CHECKS = [
  'quality/subscription_changes_priced.sql',
  'quality/analytics_mrr_movements_add_up.sql',
];

const activity = (account: boolean) => `
  select count(*) from (
    select user_id, event_date, count(*), count(distinct session_id),
      count(distinct document_id) filter (where event_type = 'document_edited'),
      count(distinct feature_id) filter (where event_type = 'feature_used'), min(event_at), max(event_at)
      ${
        account
          ? `, array_agg(array[account_id, event_id] order by event_at desc, event_id desc)
               filter (where account_id is not null),
             max(event_at) filter (where account_id is not null)`
          : ''
      }
    from core.fact_events
    group by user_id, event_date
  ) as per_user_day`;

async function seconds(pool: Pool, sql: string): Promise<number> {
  const started = performance.now();
  await pool.query(sql);
  return (performance.now() - started) / 1000;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** The lines to print, from the run's step seconds and its warehouse, still loaded. */
export async function revenueCostLines(
  pool: Pool,
  stepSeconds: ReadonlyMap<string, number>,
): Promise<string[]> {
  const total = [...stepSeconds.values()].reduce((sum, s) => sum + s, 0);
  const own = REVENUE_STEPS.reduce((sum, step) => sum + (stepSeconds.get(step) ?? 0), 0);
  // Taking turns, three times each, so that load on the machine falls on both alike.
  const without: number[] = [];
  const withAccount: number[] = [];
  for (let i = 0; i < 3; i++) {
    without.push(await seconds(pool, activity(false)));
    withAccount.push(await seconds(pool, activity(true)));
  }
  const account = Math.max(0, median(withAccount) - median(without));
  const { rows } = await pool.query<{ dates: string[] }>(
    `select array_agg(calendar_date::text order by calendar_date) as dates from core.dim_date`,
  );
  const checksStarted = performance.now();
  for (const check of REVENUE_CHECKS) await runSqlFile(pool, check, { dates: rows[0]?.dates ?? [] });
  const checks = (performance.now() - checksStarted) / 1000;
  const share = (s: number) => `${((100 * s) / total).toFixed(1)}%`;
  const line = (label: string, value: number, extra = '') =>
    `  ${label.padEnd(34)} ${value.toFixed(2).padStart(6)} s  (${share(value)}${extra})`;
  return [
    `revenue and account models, share of the run's ${total.toFixed(2)} s of step time:`,
    line(`their own steps (${REVENUE_STEPS.length})`, own),
    line(
      'the account in daily activity',
      account,
      `; the aggregate ${median(without).toFixed(2)} s without, ${median(withAccount).toFixed(2)} s with, medians of 3`,
    ),
    line(`their quality checks (${REVENUE_CHECKS.length})`, checks),
    `${line('together', own + account + checks)}  goal < 10%`,
  ];
}
