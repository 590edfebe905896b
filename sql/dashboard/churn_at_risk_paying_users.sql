-- The paying users (an active subscription on a paid plan) at risk of churning as of A (no activity
-- for more than 14 days: category medium or high, as the headline counts them), most at risk first.
with at_risk as (
  select
    user_id,
    current_plan,
    last_active_date,
    days_since_last_activity,
    events_last_30_days,
    events_prior_30_days,
    churn_risk_category,
    churn_risk_score
  from analytics.churn_risk_scores
  where subscription_status = 'active'
    and current_plan <> 'free'
    and churn_risk_category in ('medium', 'high')
),

companies as (
  select user_id, company
  from analytics.dim_users
  where is_current
)

select
  at_risk.user_id,
  companies.company,
  at_risk.current_plan,
  at_risk.last_active_date,
  at_risk.days_since_last_activity,
  at_risk.events_last_30_days,
  at_risk.events_prior_30_days,
  at_risk.churn_risk_category,
  at_risk.churn_risk_score
from at_risk
left join companies on companies.user_id = at_risk.user_id
order by at_risk.churn_risk_score desc, at_risk.days_since_last_activity desc, at_risk.user_id
limit :limit
