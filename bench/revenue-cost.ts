/**
 * What the revenue and account models (issue 11) cost in the warehouse benchmark, as a share of the
 * whole run's step time (goal: under 10%): the steps of their own, by name, and the account that
 * core.fact_daily_user_activity takes in its pass over the events, measured as that model built for
 * every date with and without the parts that take it (rolled back), and their two quality
 * checks (whose time the run records only within the gate's), run again over every date.
 */
import type { Pool } from '../lambdas/warehouse/db';
import { bindNamed, readSql, runSqlFile, splitStatements } from '../lambdas/warehouse/sql-files';

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

const ACTIVITY_MODEL = 'steps/core/fact_daily_user_activity.sql';

/** The parts of the model that take the account; without them it builds the activity alone. */
const ACCOUNT_PARTS = [
  ', account_id, account_event_at, account_event_id\n)',
  /,\n(\s*--[^\n]*\n)*\s*array_agg\(array\[account_id, event_id\][^]*?as account_event_at\n/,
  ', accounts[1][1], account_event_at, accounts[1][2]\n',
];

function activityModel(account: boolean): string[] {
  let text = readSql(ACTIVITY_MODEL);
  if (!account)
    for (const part of ACCOUNT_PARTS) {
      const stripped = text.replace(part, (found) => (found.endsWith(')') ? '\n)' : '\n'));
      if (stripped === text)
        throw new Error(`${ACTIVITY_MODEL} changed: the benchmark no longer finds ${part}`);
      text = stripped;
    }
  return splitStatements(text);
}

/** Seconds to build the model for every date, as build-model does, in a transaction rolled back. */
async function buildSeconds(pool: Pool, statements: string[], dates: string[]): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`set local work_mem = '512MB'`);
    const started = performance.now();
    for (const statement of statements) {
      const { text, values } = bindNamed(statement, { dates });
      await client.query(text, values);
    }
    return (performance.now() - started) / 1000;
  } finally {
    await client.query('rollback');
    client.release();
  }
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
  const { rows } = await pool.query<{ dates: string[] }>(
    `select array_agg(calendar_date::text order by calendar_date) as dates from core.dim_date`,
  );
  const dates = rows[0]?.dates ?? [];
  // Taking turns, three times each, so that load on the machine falls on both alike.
  const without: number[] = [];
  const withAccount: number[] = [];
  const [bare, full] = [activityModel(false), activityModel(true)];
  for (let i = 0; i < 3; i++) {
    without.push(await buildSeconds(pool, bare, dates));
    withAccount.push(await buildSeconds(pool, full, dates));
  }
  const account = Math.max(0, median(withAccount) - median(without));
  const checksStarted = performance.now();
  for (const check of REVENUE_CHECKS) await runSqlFile(pool, check, { dates });
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
      `; the model for every date: ${median(without).toFixed(2)} s without, ${median(withAccount).toFixed(2)} s with, medians of 3`,
    ),
    line(`their quality checks (${REVENUE_CHECKS.length})`, checks),
    `${line('together', own + account + checks)}  goal < 10%`,
  ];
}
