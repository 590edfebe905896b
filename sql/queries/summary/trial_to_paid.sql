-- Sign-ups that first paid within 14 and 30 days, and by A, per signup month (% of the cohort).
select
  to_char(cohort_month, 'YYYY-MM') || case when is_mature then '' else ' (maturing)' end as cohort,
  cohort_size as users,
  conversion_rate_14d as "14d %",
  conversion_rate_30d as "30d %",
  conversion_rate_by_as_of as "by A %",
  median_days_to_convert as "median days"
from analytics.trial_to_paid
order by cohort_month
