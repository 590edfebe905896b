-- Revenue, "MRR movements by month": one row per month and currency (currencies are never added),
-- churn and contraction negative as the dashboard draws them below zero, with ending MRR, net new MRR
-- and NRR and GRR as percentages. The month of A runs to day A.
with months as (
  select
    month,
    currency,
    starting_mrr,
    new_mrr,
    reactivation_mrr,
    expansion_mrr,
    contraction_mrr,
    churn_mrr,
    ending_mrr,
    paying_customers,
    gross_revenue_retention,
    net_revenue_retention,
    is_complete
  from analytics.mrr_monthly
)

select
  month,
  currency,
  starting_mrr,
  new_mrr,
  reactivation_mrr,
  expansion_mrr,
  -contraction_mrr as contraction_mrr,
  -churn_mrr as churn_mrr,
  new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churn_mrr as net_new_mrr,
  ending_mrr,
  paying_customers,
  round(100 * net_revenue_retention, 1) as net_revenue_retention_pct,
  round(100 * gross_revenue_retention, 1) as gross_revenue_retention_pct,
  is_complete
from months
order by month, currency
