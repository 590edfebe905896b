import type { Pool } from '../lambdas/warehouse/db';
import { table, type Writer } from './output';

/** What a run produced, as a person would first want to see it: the layers, then each analytics view. */
export async function printAnalyticsSummary(pool: Pool, write: Writer): Promise<void> {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  const asOf = (await q('select as_of_date from analytics.as_of'))[0]?.as_of_date ?? null;
  write(`\nAnalytics as of ${asOf ?? '(no data yet)'}`);
  write('\nRows per layer');
  write(
    table(
      await q(`select "table", rows from (
          select 1 as position, 'raw.events' as "table", count(*)::bigint as rows from raw.events
          union all select 2, 'staging.events', count(*) from staging.events
          union all select 3, 'staging.quarantine', count(*) from staging.quarantine
          union all select 4, 'staging.duplicates', count(*) from staging.duplicates
          union all select 5, 'core.fact_events', count(*) from core.fact_events
          union all select 6, 'core.fact_daily_user_activity', count(*) from core.fact_daily_user_activity
          union all select 7, 'core.dim_users (versions)', count(*) from core.dim_users
        ) as layers order by position`),
    ),
  );
  write('\nActive users (last 7 days of the window)');
  write(
    table(
      await q(`select * from (select activity_date, dau, wau, mau, stickiness from analytics.daily_active_users
    order by activity_date desc limit 7) as last_days order by activity_date`),
    ),
  );
  write('\nRetention by signup month (% of the cohort active k months later)');
  write(
    table(
      await q(`select to_char(cohort_month, 'YYYY-MM') as cohort, max(cohort_size) as users,
      ${[0, 1, 2, 3, 4, 5].map((k) => `max(retention_rate) filter (where months_since_signup = ${k}) as "m${k}"`).join(', ')}
    from analytics.user_retention_cohorts group by cohort_month order by cohort_month`),
    ),
  );
  write('\nFeature adoption');
  write(
    table(
      await q(`select feature_name, is_premium as premium, total_uses, unique_users, adoption_rate as "adoption %",
      repeated_users as repeated, habit_users as habit, avg_duration_seconds as "avg s"
    from analytics.feature_adoption_funnel order by total_uses desc`),
    ),
  );
  write('\nChurn risk');
  write(
    table(
      await q(`select churn_risk_category as category, count(*) as users, round(avg(churn_risk_score)) as avg_score
    from analytics.churn_risk_scores group by churn_risk_category
    order by array_position(array['active', 'low', 'medium', 'high'], churn_risk_category)`),
    ),
  );
}
