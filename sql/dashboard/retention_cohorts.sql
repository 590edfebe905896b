-- Every cell of the retention triangle up to the month of A; the page shows the cohorts of its range.
select cohort_month, months_since_signup, cohort_size, retained_users, retention_rate, is_complete_month
from analytics.user_retention_cohorts
order by cohort_month, months_since_signup
