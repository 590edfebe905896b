-- One row per user signed up by the as-of date A: recency, activity trend and plan, as a category and
-- a 0-100 score (docs/metrics.md explains the formula).
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view), and a publication from an empty one fails.
drop materialized view if exists analytics_build.churn_risk_scores;
create materialized view analytics_build.churn_risk_scores as
with as_of as (
  select as_of_date, (as_of_date + 1)::timestamp at time zone (select time_zone from ops.reporting_time_zone) as as_of_end from ops.analytics_as_of
),

-- The dim_users version in force at the end of day A.
users as (
  select u.user_id, u.plan, u.subscription_status, u.signup_date
  from core.dim_users as u
  cross join as_of
  where u.signup_date <= as_of.as_of_date
    and u.valid_from < as_of.as_of_end
    and (u.valid_to is null or u.valid_to >= as_of.as_of_end)
),

activity as (
  select
    a.user_id,
    max(a.activity_date) as last_active_date,
    sum(a.event_count)::bigint as lifetime_events,
    coalesce(sum(a.event_count) filter (where a.activity_date > as_of.as_of_date - 30), 0)::bigint
      as events_last_30_days,
    coalesce(sum(a.event_count) filter (
      where a.activity_date > as_of.as_of_date - 60 and a.activity_date <= as_of.as_of_date - 30
    ), 0)::bigint as events_prior_30_days
  from core.fact_daily_user_activity as a
  cross join as_of
  where a.activity_date <= as_of.as_of_date
  group by a.user_id
),

measures as (
  select
    users.user_id,
    users.plan as current_plan,
    users.subscription_status,
    users.signup_date,
    activity.last_active_date,
    as_of.as_of_date - coalesce(activity.last_active_date, users.signup_date) as days_since_last_activity,
    coalesce(activity.lifetime_events, 0) as lifetime_events,
    coalesce(activity.events_last_30_days, 0) as events_last_30_days,
    coalesce(activity.events_prior_30_days, 0) as events_prior_30_days,
    as_of.as_of_date
  from users
  cross join as_of
  left join activity on activity.user_id = users.user_id
),

points as (
  select
    measures.*,
    -- Recency, up to 60 points: linear in days since last activity, full at 60 days.
    60.0 * least(days_since_last_activity, 60) / 60 as recency_points,
    -- Falling trend, up to 25 points: the share by which the last 30 days fell short of the 30 before.
    case
      when events_prior_30_days = 0 and events_last_30_days = 0 then 25.0
      when events_prior_30_days = 0 then 0.0
      else 25.0 * greatest(0, 1 - events_last_30_days::numeric / events_prior_30_days)
    end as trend_points,
    -- Plan, up to 15 points: paying customers churn less, a cancelled subscription is a strong signal.
    case
      when subscription_status = 'cancelled' then 15.0
      when current_plan = 'free' then 10.0
      when current_plan = 'pro' then 5.0
      else 0.0
    end as plan_points
  from measures
)

select
  user_id,
  current_plan,
  subscription_status,
  signup_date,
  last_active_date,
  days_since_last_activity,
  lifetime_events,
  events_last_30_days,
  events_prior_30_days,
  case
    when days_since_last_activity <= 7 then 'active'
    when days_since_last_activity <= 14 then 'low'
    when days_since_last_activity <= 30 then 'medium'
    else 'high'
  end as churn_risk_category,
  least(100, round(recency_points + trend_points + plan_points))::integer as churn_risk_score,
  as_of_date
from points
with no data;

create unique index churn_risk_scores_pk on analytics_build.churn_risk_scores (user_id);

grant select on analytics_build.churn_risk_scores to saas_transformer;
