-- Use and adoption of each feature used at least once by the as-of date A, with a three-stage funnel:
-- tried (>= 1 use), repeated (uses on >= 2 distinct days), habit (uses in >= 3 distinct ISO weeks).
-- Features nobody has used yet are left out, so per-user ratios never divide by zero.
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view), and a publication from an empty one fails.
drop materialized view if exists analytics_build.feature_adoption_funnel;
create materialized view analytics_build.feature_adoption_funnel as
with as_of as (
  select as_of_date from ops.analytics_as_of
),

uses as (
  select f.*
  from core.fact_daily_user_features as f
  cross join as_of
  where f.activity_date <= as_of.as_of_date
),

per_user as (
  select
    feature_id,
    user_id,
    count(*) as days_used,
    count(distinct date_trunc('week', activity_date)) as weeks_used
  from uses
  group by feature_id, user_id
),

funnel as (
  select
    feature_id,
    count(*)::integer as unique_users,
    (count(*) filter (where days_used >= 2))::integer as repeated_users,
    (count(*) filter (where weeks_used >= 3))::integer as habit_users
  from per_user
  group by feature_id
),

totals as (
  select
    feature_id,
    sum(use_count)::bigint as total_uses,
    sum(duration_seconds_total) as duration_seconds_total,
    sum(duration_count) as duration_count,
    min(first_used_at) as first_used_at,
    max(last_used_at) as last_used_at
  from uses
  group by feature_id
),

active_users as (
  select count(distinct a.user_id) as user_count
  from core.fact_daily_user_activity as a
  cross join as_of
  where a.activity_date <= as_of.as_of_date
)

select
  f.feature_id,
  f.feature_name,
  f.feature_category,
  f.is_premium,
  t.total_uses,
  funnel.unique_users,
  round(t.duration_seconds_total::numeric / nullif(t.duration_count, 0), 1) as avg_duration_seconds,
  t.first_used_at,
  t.last_used_at,
  round(100.0 * funnel.unique_users / nullif(active_users.user_count, 0), 2) as adoption_rate,
  funnel.unique_users as tried_users,
  funnel.repeated_users,
  funnel.habit_users,
  round(100.0 * funnel.repeated_users / funnel.unique_users, 2) as repeat_rate,
  round(100.0 * funnel.habit_users / funnel.unique_users, 2) as habit_rate,
  as_of.as_of_date
from totals as t
inner join funnel on funnel.feature_id = t.feature_id
inner join core.dim_features as f on f.feature_id = t.feature_id
cross join active_users
cross join as_of
with no data;

create unique index feature_adoption_funnel_pk on analytics_build.feature_adoption_funnel (feature_id);

grant select on analytics_build.feature_adoption_funnel to saas_transformer;
