-- The activation funnel of every monthly signup cohort, step by step (docs/metrics.md, section 18).
-- The page adds up the cohorts of its range and takes the medians of the latest complete one.
select
  cohort_month,
  step,
  step_name,
  users,
  conversion_rate,
  median_hours_from_signup,
  is_complete
from analytics.activation_funnel
order by cohort_month, step
