-- severity: error
-- description: The analytics views built by this run are in range: DAU <= WAU <= MAU, stickiness and rates within 0-1 and 0-100, scores within 0-100, MRR and its movements >= 0, conversions within their cohort, DAA <= WAA <= MAA, account scores within 0-100, N-day retention: on day N <= on or after <= cohort, session medians <= their 90th percentiles, each funnel step <= the one before.
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
union all
select 'mrr_monthly', month::text || ' ' || currency
from analytics_build.mrr_monthly
where least(starting_mrr, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr, churn_mrr, ending_mrr) < 0
  or logo_churn_rate not between 0 and 1 or gross_revenue_retention not between 0 and 1
  or net_revenue_retention < 0
union all
select 'trial_to_paid', cohort_month::text
from analytics_build.trial_to_paid
where converted_14d > converted_30d or converted_30d > converted_by_as_of or converted_by_as_of > cohort_size
  or conversion_rate_by_as_of not between 0 and 100
union all
select 'daily_active_accounts', activity_date::text
from analytics_build.daily_active_accounts
where daa > waa or waa > maa or daa < 0
union all
select 'account_retention_cohorts', cohort_month::text || '+' || months_since_first_seen
from analytics_build.account_retention_cohorts
where retention_rate not between 0 and 100 or retained_accounts > cohort_size
union all
select 'account_health', account_id
from analytics_build.account_health
where account_health_score not between 0 and 100 or seat_utilization not between 0 and 1
  or active_users_7d > active_users_30d or active_users_30d > users
union all
select 'user_retention_days', cohort_week::text || ' N' || n
from analytics_build.user_retention_days
where retained_on_day > retained_on_or_after or retained_on_or_after > cohort_size
  or retained_on_day_rate not between 0 and 100 or retained_on_or_after_rate not between 0 and 100
union all
select 'user_lifecycle_weekly', period_start::text || ' ' || status
from analytics_build.user_lifecycle_weekly
where users < 0 or period_end < period_start
union all
select 'user_lifecycle_monthly', period_start::text || ' ' || status
from analytics_build.user_lifecycle_monthly
where users < 0 or period_end < period_start
union all
select 'session_metrics', session_date::text || ' ' || platform
from analytics_build.session_metrics
where median_duration_seconds > p90_duration_seconds or median_duration_seconds < 0
  or users > sessions or users <= 0
union all
select 'activation_funnel', f.cohort_month::text || ' step ' || f.step
from analytics_build.activation_funnel as f
inner join analytics_build.activation_funnel as previous
  on previous.cohort_month = f.cohort_month and previous.step = f.step - 1
where f.users > previous.users or f.conversion_rate not between 0 and 100
