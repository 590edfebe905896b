-- Daily, weekly and monthly active accounts per day D up to the as-of date A, over the windows of
-- daily_active_users (D; D-6 .. D; D-29 .. D). An account is active on D when one of its users is
-- (docs/metrics.md, section 13): each user counts for their account now (core.dim_user_accounts).
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view), and a publication from an empty one fails.
drop materialized view if exists analytics_build.daily_active_accounts;
create materialized view analytics_build.daily_active_accounts as
with as_of as (
  select as_of_date from ops.analytics_as_of
),

account_days as (
  select distinct m.account_id, m.is_personal, a.activity_date
  from core.fact_daily_user_activity as a
  inner join core.dim_user_accounts as m on m.user_id = a.user_id
  cross join as_of
  where a.activity_date <= as_of.as_of_date
),

activity as (
  select
    account_id,
    activity_date,
    lead(activity_date) over (partition by account_id, is_personal order by activity_date) as next_activity_date
  from account_days
),

-- The span trick of daily_active_users: each activity day keeps its account in the windows of the
-- days after it until the account's next activity day takes over.
span_edges as (
  select activity_date as edge_date, 1 as daa_change, 1 as waa_change, 1 as maa_change from activity
  union all
  select activity_date + 1, -1, 0, 0 from activity
  union all
  select least(next_activity_date, activity_date + 7), 0, -1, 0 from activity
  union all
  select least(next_activity_date, activity_date + 30), 0, 0, -1 from activity
),

changes_per_day as (
  select edge_date, sum(daa_change) as daa_change, sum(waa_change) as waa_change, sum(maa_change) as maa_change
  from span_edges
  group by edge_date
),

-- Integer day offsets: a timestamptz series would follow the session's time zone across DST.
calendar as (
  select first_day.activity_date + offset_days as activity_date, as_of.as_of_date
  from as_of
  cross join (select min(activity_date) as activity_date from activity) as first_day
  cross join lateral generate_series(0, as_of.as_of_date - first_day.activity_date) as offset_days
)

select
  calendar.activity_date,
  sum(coalesce(c.daa_change, 0)) over (order by calendar.activity_date)::integer as daa,
  sum(coalesce(c.waa_change, 0)) over (order by calendar.activity_date)::integer as waa,
  sum(coalesce(c.maa_change, 0)) over (order by calendar.activity_date)::integer as maa,
  calendar.as_of_date
from calendar
left join changes_per_day as c on c.edge_date = calendar.activity_date
with no data;

create unique index daily_active_accounts_pk on analytics_build.daily_active_accounts (activity_date);

grant select on analytics_build.daily_active_accounts to saas_transformer;
