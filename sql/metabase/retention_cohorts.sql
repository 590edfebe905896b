-- Executive Overview, "Retention by signup month": one row per signup cohort, one column per month
-- since signup (m0 .. m11), each the percentage of the cohort active in that month. Metabase pivots
-- only structured queries, so this native query pivots itself, as the CLI's summary does, and the
-- card colours the cells. A cohort's last month can still be in progress (is_complete_month).
with cohort_months as (
  select cohort_month, cohort_size, months_since_signup, retention_rate
  from analytics.user_retention_cohorts
),

-- Twelve columns show a year of each cohort; later months stay in the view for SQL users.
retention_by_cohort as (
  select
    cohort_month,
    cohort_size,
    max(retention_rate) filter (where months_since_signup = 0) as m0,
    max(retention_rate) filter (where months_since_signup = 1) as m1,
    max(retention_rate) filter (where months_since_signup = 2) as m2,
    max(retention_rate) filter (where months_since_signup = 3) as m3,
    max(retention_rate) filter (where months_since_signup = 4) as m4,
    max(retention_rate) filter (where months_since_signup = 5) as m5,
    max(retention_rate) filter (where months_since_signup = 6) as m6,
    max(retention_rate) filter (where months_since_signup = 7) as m7,
    max(retention_rate) filter (where months_since_signup = 8) as m8,
    max(retention_rate) filter (where months_since_signup = 9) as m9,
    max(retention_rate) filter (where months_since_signup = 10) as m10,
    max(retention_rate) filter (where months_since_signup = 11) as m11
  from cohort_months
  group by cohort_month, cohort_size
)

select cohort_month, cohort_size, m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11
from retention_by_cohort
order by cohort_month
