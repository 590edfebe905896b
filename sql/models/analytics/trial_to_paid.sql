-- One row per signup cohort month (users signed up by the as-of date A): how many of the cohort's
-- users first had MRR above 0 within 14 and 30 days of signing up, and by A (docs/metrics.md,
-- section 13). A user who signs up on a paid plan converts on day 0.
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view), and a publication from an empty one fails.
drop materialized view if exists analytics_build.trial_to_paid;
create materialized view analytics_build.trial_to_paid as
with as_of as (
  select as_of_date, (as_of_date + 1)::timestamp at time zone (select time_zone from ops.reporting_time_zone) as as_of_end from ops.analytics_as_of
),

users as (
  select u.user_id, u.signup_date, date_trunc('month', u.signup_date)::date as cohort_month
  from core.dim_users as u
  cross join as_of
  where u.is_current and u.signup_date <= as_of.as_of_date
),

-- The user's own first state worth more than 0, by the end of day A.
first_paid as (
  select s.user_id, min(s.changed_at) as first_paid_at
  from core.fact_subscription_changes as s
  cross join as_of
  where s.to_mrr > 0 and s.changed_at < as_of.as_of_end
  group by s.user_id
),

conversions as (
  select
    users.cohort_month,
    users.signup_date,
    -- Whole days of the reporting time zone; a paid state before the sign-up (version 1 starts at the first event) is day 0.
    -- (greatest ignores a null: a user who never paid has none.)
    case when first_paid.first_paid_at is not null
      then greatest(0, (first_paid.first_paid_at at time zone (select time_zone from ops.reporting_time_zone))::date - users.signup_date)
    end as days_to_convert
  from users
  left join first_paid on first_paid.user_id = users.user_id
),

cohorts as (
  select
    cohort_month,
    count(*)::integer as cohort_size,
    count(*) filter (where days_to_convert <= 14)::integer as converted_14d,
    count(*) filter (where days_to_convert <= 30)::integer as converted_30d,
    count(days_to_convert)::integer as converted_by_as_of,
    -- The median as the mean of the lower and upper middle values: exact, with no float.
    (percentile_disc(0.5) within group (order by days_to_convert)
      + percentile_disc(0.5) within group (order by days_to_convert desc)) / 2.0 as median_days_to_convert,
    max(signup_date) as last_signup_date
  from conversions
  group by cohort_month
)

select
  cohorts.cohort_month,
  cohorts.cohort_size,
  cohorts.converted_14d,
  cohorts.converted_30d,
  cohorts.converted_by_as_of,
  round(cohorts.median_days_to_convert, 1) as median_days_to_convert,
  round(100.0 * cohorts.converted_14d / cohorts.cohort_size, 2) as conversion_rate_14d,
  round(100.0 * cohorts.converted_30d / cohorts.cohort_size, 2) as conversion_rate_30d,
  round(100.0 * cohorts.converted_by_as_of / cohorts.cohort_size, 2) as conversion_rate_by_as_of,
  cohorts.last_signup_date + 30 <= as_of.as_of_date as is_mature,
  as_of.as_of_date
from cohorts
cross join as_of
with no data;

create unique index trial_to_paid_pk on analytics_build.trial_to_paid (cohort_month);

grant select on analytics_build.trial_to_paid to saas_transformer;
