-- N-day retention of weekly signup cohorts, as of A (docs/metrics.md, section 16): for each ISO week
-- of signup and each N of 1, 3, 7, 14 and 30, how many of the cohort were active on their day N (the
-- calendar day N days after their signup day: "return on"), and on any day from their day N up to A
-- ("on or after"). A day is a calendar day, not a rolling 24 hours. A cohort is mature for N when its
-- last signup's day N is on or before A; before that, both counts can still grow.
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view).
drop materialized view if exists analytics_build.user_retention_days;
create materialized view analytics_build.user_retention_days as
with as_of as (
  select as_of_date from ops.analytics_as_of
),

users as (
  select u.user_id, u.signup_date, date_trunc('week', u.signup_date)::date as cohort_week
  from core.dim_users as u
  cross join as_of
  where u.is_current and u.signup_date <= as_of.as_of_date
),

cohorts as (
  select cohort_week, count(*)::integer as cohort_size, max(signup_date) as last_signup_date
  from users
  group by cohort_week
),

days (n) as (
  values (1), (3), (7), (14), (30)
),

-- Per user and N: active on day N, and active on some day from day N up to A.
returns as (
  select
    users.cohort_week,
    days.n,
    bool_or(a.activity_date = users.signup_date + days.n) as on_day,
    bool_or(a.activity_date >= users.signup_date + days.n) as on_or_after
  from users
  cross join days
  cross join as_of
  inner join core.fact_daily_user_activity as a
    on a.user_id = users.user_id
   and a.activity_date >= users.signup_date + days.n
   and a.activity_date <= as_of.as_of_date
  group by users.cohort_week, days.n, users.user_id
),

retained as (
  select cohort_week, n, count(*) filter (where on_day)::integer as on_day,
    count(*) filter (where on_or_after)::integer as on_or_after
  from returns
  group by cohort_week, n
)

select
  c.cohort_week,
  days.n,
  c.cohort_size,
  coalesce(r.on_day, 0) as retained_on_day,
  coalesce(r.on_or_after, 0) as retained_on_or_after,
  round(100.0 * coalesce(r.on_day, 0) / c.cohort_size, 2) as retained_on_day_rate,
  round(100.0 * coalesce(r.on_or_after, 0) / c.cohort_size, 2) as retained_on_or_after_rate,
  c.last_signup_date + days.n <= as_of.as_of_date as is_mature,
  as_of.as_of_date
from cohorts as c
cross join days
cross join as_of
left join retained as r on r.cohort_week = c.cohort_week and r.n = days.n
with no data;

create unique index user_retention_days_pk on analytics_build.user_retention_days (cohort_week, n);

grant select on analytics_build.user_retention_days to saas_transformer;
