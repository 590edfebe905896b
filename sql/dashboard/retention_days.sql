-- N-day retention of every weekly signup cohort (docs/metrics.md, section 16), for N of 1, 3, 7, 14
-- and 30: returned on day N and on any day from it up to A, with both rates; an immature row's counts
-- can still grow. The page draws the latest cohorts of its range.
select
  cohort_week,
  n,
  cohort_size,
  retained_on_day,
  retained_on_or_after,
  retained_on_day_rate,
  retained_on_or_after_rate,
  is_mature
from analytics.user_retention_days
order by cohort_week, n
