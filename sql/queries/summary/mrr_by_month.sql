-- MRR by month and currency: where each month started, its five movements, where it ended, paying
-- customers and net revenue retention (% of the starting MRR kept, expansion included). The month
-- of A is marked "so far" (is_complete false).
select
  to_char(month, 'YYYY-MM') || case when is_complete then '' else ' (so far)' end as month,
  currency,
  starting_mrr as starting,
  new_mrr as new,
  reactivation_mrr as reactivation,
  expansion_mrr as expansion,
  -contraction_mrr as contraction,
  -churn_mrr as churn,
  ending_mrr as ending,
  paying_customers as paying,
  round(100 * net_revenue_retention, 1) as "nrr %"
from analytics.mrr_monthly
order by currency, month
