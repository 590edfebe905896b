-- The headline numbers of the Executive Overview, as of the as-of date A. No row before A is set.
with as_of as (
  select as_of_date, time_zone from analytics.as_of
),

day_a as (
  select d.dau, d.wau, d.mau, d.stickiness
  from analytics.daily_active_users as d
  inner join as_of on d.activity_date = as_of.as_of_date
),

-- At risk: no activity for more than 14 days (churn risk category medium or high).
users as (
  select
    count(*)::integer as user_count,
    (count(*) filter (where churn_risk_category in ('medium', 'high')))::integer as at_risk_users
  from analytics.churn_risk_scores
),

-- Month-1 retention over every cohort whose first month after signup is complete, weighted by size.
month_one as (
  select round(100.0 * sum(retained_users) / nullif(sum(cohort_size), 0), 2) as month_1_retention_rate
  from analytics.user_retention_cohorts
  where months_since_signup = 1 and is_complete_month
)

select
  as_of.as_of_date,
  as_of.time_zone,
  users.user_count,
  coalesce(day_a.dau, 0) as active_users,
  coalesce(day_a.wau, 0) as weekly_active_users,
  coalesce(day_a.mau, 0) as monthly_active_users,
  coalesce(day_a.stickiness, 0) as stickiness,
  month_one.month_1_retention_rate,
  users.at_risk_users
from as_of
cross join users
cross join month_one
left join day_a on true
