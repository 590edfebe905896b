-- Daily, weekly and monthly active users per day D up to the as-of date A, and stickiness = DAU/MAU.
-- A user is active on D when they have at least one valid event on D (a day of the reporting time zone).
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view), and a publication from an empty one fails.
drop materialized view if exists analytics_build.daily_active_users;
create materialized view analytics_build.daily_active_users as
with as_of as (
  select as_of_date from ops.analytics_as_of
),

activity as (
  select
    a.user_id,
    a.activity_date,
    lead(a.activity_date) over (partition by a.user_id order by a.activity_date) as next_activity_date
  from core.fact_daily_user_activity as a
  cross join as_of
  where a.activity_date <= as_of.as_of_date
),

-- An activity day keeps its user in the 7- and 30-day windows of the days after it until the user's
-- next activity day takes over. So each row adds +1 where its span starts and -1 where it ends, and a
-- running sum over the calendar gives distinct users per window without joining days to days.
span_edges as (
  select activity_date as edge_date, 1 as dau_change, 1 as wau_change, 1 as mau_change from activity
  union all
  select activity_date + 1, -1, 0, 0 from activity
  union all
  select least(next_activity_date, activity_date + 7), 0, -1, 0 from activity
  union all
  select least(next_activity_date, activity_date + 30), 0, 0, -1 from activity
),

changes_per_day as (
  select edge_date, sum(dau_change) as dau_change, sum(wau_change) as wau_change, sum(mau_change) as mau_change
  from span_edges
  group by edge_date
),

-- Integer day offsets: a timestamptz series would follow the session's time zone across DST.
calendar as (
  select first_day.activity_date + offset_days as activity_date, as_of.as_of_date
  from as_of
  cross join (select min(activity_date) as activity_date from activity) as first_day
  cross join lateral generate_series(0, as_of.as_of_date - first_day.activity_date) as offset_days
),

running as (
  select
    calendar.activity_date,
    calendar.as_of_date,
    sum(coalesce(c.dau_change, 0)) over (order by calendar.activity_date)::integer as dau,
    sum(coalesce(c.wau_change, 0)) over (order by calendar.activity_date)::integer as wau,
    sum(coalesce(c.mau_change, 0)) over (order by calendar.activity_date)::integer as mau
  from calendar
  left join changes_per_day as c on c.edge_date = calendar.activity_date
)

select
  activity_date,
  dau,
  wau,
  mau,
  case when mau > 0 then round(dau::numeric / mau, 4) else 0 end as stickiness,
  as_of_date
from running
with no data;

create unique index daily_active_users_pk on analytics_build.daily_active_users (activity_date);

grant select on analytics_build.daily_active_users to saas_transformer;
