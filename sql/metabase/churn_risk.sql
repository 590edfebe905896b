-- Executive Overview, "Churn risk": users per churn-risk category as of the as-of date, for a pie.
with scored_users as (
  select churn_risk_category
  from analytics.churn_risk_scores
),

-- Every category in order of rising risk, so that an empty one still shows (as 0) and the slices
-- keep the same order from day to day.
categories (churn_risk_category, risk_order) as (
  values ('active', 1), ('low', 2), ('medium', 3), ('high', 4)
),

users_per_category as (
  select churn_risk_category, count(*) as user_count
  from scored_users
  group by churn_risk_category
)

select categories.churn_risk_category, coalesce(users_per_category.user_count, 0) as user_count
from categories
left join users_per_category on users_per_category.churn_risk_category = categories.churn_risk_category
order by categories.risk_order
