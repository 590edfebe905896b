import type { Pool } from '../lambdas/warehouse/db';
import { table, type Writer } from './output';
import { queryRows } from './queries';

/** What a run produced, as a person would first want to see it: the layers, then each analytics view. */
export async function printAnalyticsSummary(pool: Pool, write: Writer): Promise<void> {
  const q = (query: string) => queryRows(pool, `summary/${query}`);
  const asOf = (await q('published_as_of'))[0]?.as_of_date ?? null;
  write(`\nAnalytics as of ${asOf ?? '(no data yet)'}`);
  write('\nRows per layer');
  write(table(await q('rows_per_layer')));
  write('\nActive users (last 7 days of the window)');
  write(table(await q('active_users_last_7_days')));
  write('\nRetention by signup month (% of the cohort active k months later)');
  write(table(await q('retention_by_signup_month')));
  write('\nLifecycle by ISO week (signed-up users; dormant: active the week before, not this one)');
  write(table(await q('lifecycle_last_weeks')));
  write(
    '\nDay-N retention of the last weekly cohorts mature for day 30 (% active on day N; on or after it, in brackets)',
  );
  write(table(await q('retention_days_mature')));
  write(
    '\nMRR by month (movements of the month; contraction and churn as negatives; per currency, never summed)',
  );
  write(table(await q('mrr_by_month')));
  write('\nTrial to paid by signup month (% of the cohort that first paid)');
  write(table(await q('trial_to_paid')));
  write('\nFeature adoption');
  write(table(await q('feature_adoption')));
  write('\nChurn risk');
  write(table(await q('churn_risk_by_category')));
}
