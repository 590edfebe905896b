-- The activation funnel of each monthly signup cohort, as of A (docs/metrics.md, section 18): how many
-- of the cohort reached each step, in order, the conversion from the step before, and the median
-- hours from signup to the step. A step counts only for a user who reached every step before it.
--   1 signed up;
--   2 created a document within 14 days of signing up;
--   3 within 14 days, edited documents on a second day (the first edit of that day), or shared one;
--   4 active in the second week after signup: on a day from signup day + 7 to signup day + 13;
--   5 paying (the user's own first state with MRR above 0, as in trial_to_paid) within 30 days.
-- Only events up to the end of day A count: a cohort is complete once every member's 30 days are over.
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view).
drop materialized view if exists analytics_build.activation_funnel;
create materialized view analytics_build.activation_funnel as
with as_of as (
  select
    as_of_date,
    (as_of_date + 1)::timestamp at time zone (select time_zone from ops.reporting_time_zone) as as_of_end
  from ops.analytics_as_of
),

users as (
  select u.user_id, u.signup_at, u.signup_date, date_trunc('month', u.signup_date)::date as cohort_month
  from core.dim_users as u
  cross join as_of
  where u.is_current and u.signup_date <= as_of.as_of_date
),

-- The users' document events of their first 14 days, up to A. From the tables themselves, not the
-- CTEs, so that the planner knows how few users there are to hash against the events.
early as (
  select e.user_id, e.event_type, e.event_at, e.event_date
  from core.fact_events as e
  inner join core.dim_users as u on u.user_id = e.user_id
  where u.is_current
    and e.event_type in ('document_created', 'document_edited', 'document_shared')
    and u.signup_date <= (select as_of_date from ops.analytics_as_of)
    and e.event_at >= u.signup_at and e.event_at < u.signup_at + interval '14 days'
    and e.event_at < (select as_of_end from as_of)
),

created as (
  select user_id, min(event_at) as reached_at from early where event_type = 'document_created' group by user_id
),

-- The first edit of each day with an edit, numbered by day: the second is "on a second day".
edit_days as (
  select user_id, event_date, min(event_at) as first_edit_at,
    row_number() over (partition by user_id order by event_date) as day_number
  from early
  where event_type = 'document_edited'
  group by user_id, event_date
),

engaged as (
  select user_id, min(reached_at) as reached_at
  from (
    select user_id, first_edit_at as reached_at from edit_days where day_number = 2
    union all
    select user_id, event_at from early where event_type = 'document_shared'
  ) as ways
  group by user_id
),

-- A day of activity in days 7-13, from the daily facts: its first event.
second_week as (
  select a.user_id, min(a.first_event_at) as reached_at
  from core.fact_daily_user_activity as a
  inner join users on users.user_id = a.user_id
  cross join as_of
  where a.activity_date between users.signup_date + 7 and users.signup_date + 13
    and a.activity_date <= as_of.as_of_date
  group by a.user_id
),

paying as (
  select users.user_id, greatest(users.signup_at, min(s.changed_at)) as reached_at
  from users
  inner join core.fact_subscription_changes as s on s.user_id = users.user_id
  cross join as_of
  where s.to_mrr > 0 and s.changed_at < users.signup_at + interval '30 days' and s.changed_at < as_of.as_of_end
  group by users.user_id, users.signup_at
),

-- Each user's steps, in order: a step's time only when every earlier step has one.
reached as (
  select
    users.user_id,
    users.cohort_month,
    users.signup_at,
    step.number as step,
    step.reached_at
  from users
  left join created on created.user_id = users.user_id
  left join engaged on engaged.user_id = users.user_id
  left join second_week on second_week.user_id = users.user_id
  left join paying on paying.user_id = users.user_id
  cross join lateral (
    values
      (1, users.signup_at),
      (2, created.reached_at),
      (3, case when created.reached_at is not null then engaged.reached_at end),
      (4, case when created.reached_at is not null and engaged.reached_at is not null
            then second_week.reached_at end),
      (5, case when created.reached_at is not null and engaged.reached_at is not null
                and second_week.reached_at is not null then paying.reached_at end)
  ) as step (number, reached_at)
),

steps as (
  select
    cohort_month,
    step,
    count(reached_at)::integer as users,
    round((percentile_cont(0.5) within group (
      order by extract(epoch from reached_at - signup_at) / 3600
    ) filter (where reached_at is not null))::numeric, 1) as median_hours_from_signup,
    max(signup_at) as last_signup_at
  from reached
  group by cohort_month, step
)

select
  s.cohort_month,
  s.step,
  (array['signed_up', 'created_document', 'edited_on_second_day_or_shared', 'active_in_second_week',
         'paying'])[s.step] as step_name,
  s.users,
  case when s.step > 1 then round(100.0 * s.users / nullif(previous.users, 0), 2) end as conversion_rate,
  s.median_hours_from_signup,
  s.last_signup_at + interval '30 days' <= as_of.as_of_end as is_complete,
  as_of.as_of_date
from steps as s
left join steps as previous on previous.cohort_month = s.cohort_month and previous.step = s.step - 1
cross join as_of
with no data;

create unique index activation_funnel_pk on analytics_build.activation_funnel (cohort_month, step);

grant select on analytics_build.activation_funnel to saas_transformer;
