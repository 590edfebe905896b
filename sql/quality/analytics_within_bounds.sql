-- severity: error
-- description: The analytics views built by this run are in range: DAU <= WAU <= MAU, stickiness and rates within 0-1 and 0-100, scores within 0-100.
select 'daily_active_users' as view_name, activity_date::text as row_key
from analytics_build.daily_active_users
where dau > wau or wau > mau or dau < 0 or stickiness not between 0 and 1
union all
select 'user_retention_cohorts', cohort_month::text || '+' || months_since_signup
from analytics_build.user_retention_cohorts
where retention_rate not between 0 and 100 or retained_users > cohort_size
union all
select 'feature_adoption_funnel', feature_id
from analytics_build.feature_adoption_funnel
where adoption_rate not between 0 and 100 or habit_users > repeated_users or repeated_users > tried_users
union all
select 'churn_risk_scores', user_id
from analytics_build.churn_risk_scores
where churn_risk_score not between 0 and 100 or days_since_last_activity < 0
