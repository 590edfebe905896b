-- Accounts by the calendar month of their first event (any of their users'), and the share of each
-- cohort active in each later month, up to the month of the as-of date A: the shape of
-- user_retention_cohorts (docs/metrics.md, section 13).
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view), and a publication from an empty one fails.
drop materialized view if exists analytics_build.account_retention_cohorts;
create materialized view analytics_build.account_retention_cohorts as
with as_of as (
  select as_of_date from ops.analytics_as_of
),

accounts as (
  select a.account_id, a.is_personal, date_trunc('month', a.first_seen_date)::date as cohort_month
  from core.dim_accounts as a
  cross join as_of
  where a.first_seen_date <= as_of.as_of_date
),

cohorts as (
  select cohort_month, count(*)::integer as cohort_size
  from accounts
  group by cohort_month
),

active_months as (
  select distinct m.account_id, m.is_personal, date_trunc('month', d.activity_date)::date as activity_month
  from core.fact_daily_user_activity as d
  inner join core.dim_user_accounts as m on m.user_id = d.user_id
  cross join as_of
  where d.activity_date <= as_of.as_of_date
),

retained as (
  select accounts.cohort_month, m.activity_month, count(*)::integer as retained_accounts
  from accounts
  inner join active_months as m
    on m.account_id = accounts.account_id and m.is_personal = accounts.is_personal
   and m.activity_month >= accounts.cohort_month
  group by accounts.cohort_month, m.activity_month
),

-- Month offsets from the cohort to the month of A, as integers: no time zone can shift them.
cohort_months as (
  select
    cohorts.cohort_month,
    cohorts.cohort_size,
    months_since_first_seen,
    (cohorts.cohort_month + make_interval(months => months_since_first_seen))::date as activity_month,
    as_of.as_of_date
  from cohorts
  cross join as_of
  cross join lateral generate_series(
    0,
    ((extract(year from as_of.as_of_date) - extract(year from cohorts.cohort_month)) * 12
      + extract(month from as_of.as_of_date) - extract(month from cohorts.cohort_month))::integer
  ) as months_since_first_seen
)

select
  cm.cohort_month,
  cm.months_since_first_seen,
  cm.activity_month,
  cm.cohort_size,
  coalesce(r.retained_accounts, 0) as retained_accounts,
  round(100.0 * coalesce(r.retained_accounts, 0) / cm.cohort_size, 2) as retention_rate,
  (cm.activity_month + interval '1 month' - interval '1 day')::date <= cm.as_of_date as is_complete_month,
  cm.as_of_date
from cohort_months as cm
left join retained as r on r.cohort_month = cm.cohort_month and r.activity_month = cm.activity_month
with no data;

create unique index account_retention_cohorts_pk
  on analytics_build.account_retention_cohorts (cohort_month, months_since_first_seen);

grant select on analytics_build.account_retention_cohorts to saas_transformer;
