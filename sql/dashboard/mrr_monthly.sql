-- MRR per month and currency, movements, ending MRR, paying customers, GRR and NRR, from the first
-- month with MRR to the month of A; the page shows the months of its range and never sums currencies.
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
order by month, currency
