-- Sessions per day and platform, as of A (docs/metrics.md, section 17): for each day up to A with a
-- session of a signed-up user, and each platform (the platform of a session's first event; 'unknown'
-- when it has none), and for every platform together ('all'): sessions, users, the median and the
-- 90th percentile of session duration in seconds (continuous percentiles, to 1 decimal), and
-- sessions per user. A session counts on the day it started.
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view).
drop materialized view if exists analytics_build.session_metrics;
create materialized view analytics_build.session_metrics as
with as_of as (
  select as_of_date from ops.analytics_as_of
),

sessions as (
  select s.session_date, coalesce(s.platform, 'unknown') as platform, s.user_id, s.duration_seconds
  from core.fact_sessions as s
  cross join as_of
  where s.session_date <= as_of.as_of_date
    and s.user_id in (select u.user_id from core.dim_users as u where u.is_current)
)

select
  session_date,
  case when grouping(platform) = 1 then 'all' else platform end as platform,
  count(*)::integer as sessions,
  count(distinct user_id)::integer as users,
  round((percentile_cont(0.5) within group (order by duration_seconds))::numeric, 1) as median_duration_seconds,
  round((percentile_cont(0.9) within group (order by duration_seconds))::numeric, 1) as p90_duration_seconds,
  round(count(*)::numeric / count(distinct user_id), 2) as sessions_per_user,
  (select as_of_date from as_of) as as_of_date
from sessions
group by grouping sets ((session_date, platform), (session_date))
with no data;

create unique index session_metrics_pk on analytics_build.session_metrics (session_date, platform);

grant select on analytics_build.session_metrics to saas_transformer;
