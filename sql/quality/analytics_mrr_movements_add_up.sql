-- severity: error
-- description: In every month and currency of analytics.mrr_monthly built by this run, ending MRR = starting + new + reactivation + expansion - contraction - churn, to the cent; each month starts where the one before ended.
select month, currency, starting_mrr, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr, churn_mrr,
  ending_mrr,
  starting_mrr + new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churn_mrr as movements_give
from analytics_build.mrr_monthly
where round(ending_mrr, 2)
  <> round(starting_mrr + new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churn_mrr, 2)
