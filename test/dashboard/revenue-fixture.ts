import type { Queryable } from '../../lambdas/warehouse/db';

/**
 * Hand-made rows in the published revenue and account tables, replacing what the pipeline published
 * from the dashboard fixture, so that every figure the page shows is known by hand. As of 2024-03-15.
 *
 * USD: Jan 2024 starts with no MRR, 100 new (2 paying). Feb: 50 new, 20 expansion, 10 contraction,
 * 30 churn, ending 130 (3 paying): GRR (100 − 10 − 30) / 100 = 0.6, NRR (100 + 20 − 40) / 100 = 0.8.
 * Mar (the month of A, incomplete): 25 reactivation, 15 expansion, 30 churn, ending 140 (4 paying):
 * net new 10, GRR 100 / 130 = 0.7692, NRR 115 / 130 = 0.8846.
 * EUR: Feb 40 new; Mar 10 expansion, ending 50 (1 paying), GRR 1, NRR 1.25.
 * USD has the most MRR in March: it is the main currency, EUR is noted beside it.
 *
 * Accounts: three days of DAA/WAA/MAA; acme (90 USD) and beta (40 USD) are paying and at risk,
 * gamma is paying and healthy, and u9's personal account is at risk but pays nothing.
 */
export async function loadRevenueFixture(db: Queryable): Promise<void> {
  await db.query(`
    delete from analytics.mrr_monthly;
    insert into analytics.mrr_monthly (
      month, currency, starting_mrr, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr, churn_mrr,
      ending_mrr, new_customers, reactivated_customers, expanded_customers, contracted_customers,
      churned_customers, paying_customers, arppc, logo_churn_rate, gross_revenue_retention,
      net_revenue_retention, is_complete, as_of_date)
    values
      ('2024-01-01', 'USD', 0, 100, 0, 0, 0, 0, 100, 2, 0, 0, 0, 0, 2, 50, null, null, null, true, '2024-03-15'),
      ('2024-02-01', 'USD', 100, 50, 0, 20, 10, 30, 130, 2, 0, 1, 1, 1, 3, 43.33, 0.5, 0.6, 0.8, true, '2024-03-15'),
      ('2024-03-01', 'USD', 130, 0, 25, 15, 0, 30, 140, 0, 1, 1, 0, 1, 4, 35, 0.3333, 0.7692, 0.8846, false, '2024-03-15'),
      ('2024-02-01', 'EUR', 0, 40, 0, 0, 0, 0, 40, 1, 0, 0, 0, 0, 1, 40, null, null, null, true, '2024-03-15'),
      ('2024-03-01', 'EUR', 40, 0, 0, 10, 0, 0, 50, 0, 0, 1, 0, 0, 1, 50, 0, 1, 1.25, false, '2024-03-15');

    delete from analytics.daily_active_accounts;
    insert into analytics.daily_active_accounts (activity_date, daa, waa, maa, as_of_date)
    values ('2024-01-10', 1, 1, 1, '2024-03-15'),
           ('2024-02-05', 2, 2, 2, '2024-03-15'),
           ('2024-03-14', 1, 1, 2, '2024-03-15');

    delete from analytics.account_health;
    insert into analytics.account_health (
      account_id, is_personal, account_name, users, active_users_7d, active_users_30d, current_mrr, currency,
      current_plan_mix, last_active_date, days_since_last_activity, seat_utilization, events_last_30_days,
      events_prior_30_days, account_health_score, account_health_category, is_paying, as_of_date)
    values
      ('acme', false, 'Acme', 3, 0, 0, 90, 'USD', 'pro 3', '2024-02-01', 43, 0, 0, 12, 15, 'at_risk', true, '2024-03-15'),
      ('beta', false, 'Beta', 2, 0, 1, 40, 'USD', 'pro 2', '2024-02-20', 24, 0.5, 2, 9, 35, 'at_risk', true, '2024-03-15'),
      ('gamma', false, 'Gamma', 2, 2, 2, 200, 'USD', 'enterprise 2', '2024-03-15', 0, 1, 40, 30, 100, 'healthy', true, '2024-03-15'),
      ('u9', true, null, 1, 0, 0, 0, null, 'free 1', null, 60, 0, 0, 0, 0, 'at_risk', false, '2024-03-15');
  `);
}
