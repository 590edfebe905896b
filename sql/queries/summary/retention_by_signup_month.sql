-- Each signup cohort's size and its retention (% active) 0 to 5 months after signing up.
select
  to_char(cohort_month, 'YYYY-MM') as cohort,
  max(cohort_size) as users,
  max(retention_rate) filter (where months_since_signup = 0) as "m0",
  max(retention_rate) filter (where months_since_signup = 1) as "m1",
  max(retention_rate) filter (where months_since_signup = 2) as "m2",
  max(retention_rate) filter (where months_since_signup = 3) as "m3",
  max(retention_rate) filter (where months_since_signup = 4) as "m4",
  max(retention_rate) filter (where months_since_signup = 5) as "m5"
from analytics.user_retention_cohorts
group by cohort_month
order by cohort_month
