-- One row per account known by the as-of date A (its first event on or before A): its users, how many
-- were active lately, its MRR and plans at the end of day A, recency, and a 0-100 health score from
-- activity breadth, recency, trend and MRR, with a category (docs/metrics.md, section 13).
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view), and a publication from an empty one fails.
drop materialized view if exists analytics_build.account_health;
create materialized view analytics_build.account_health as
with as_of as (
  select as_of_date, (as_of_date + 1)::timestamp at time zone (select time_zone from ops.reporting_time_zone) as as_of_end from ops.analytics_as_of
),

-- The account's users known by A.
members as (
  select m.account_id, m.is_personal, m.user_id
  from core.dim_user_accounts as m
  cross join as_of
  where m.first_event_at < as_of.as_of_end
),

activity as (
  select
    members.account_id,
    members.is_personal,
    count(distinct d.user_id) filter (where d.activity_date > as_of.as_of_date - 7)::integer as active_users_7d,
    count(distinct d.user_id) filter (where d.activity_date > as_of.as_of_date - 30)::integer as active_users_30d,
    max(d.activity_date) as last_active_date,
    coalesce(sum(d.event_count) filter (where d.activity_date > as_of.as_of_date - 30), 0)::bigint
      as events_last_30_days,
    coalesce(sum(d.event_count) filter (
      where d.activity_date > as_of.as_of_date - 60 and d.activity_date <= as_of.as_of_date - 30
    ), 0)::bigint as events_prior_30_days
  from members
  cross join as_of
  inner join core.fact_daily_user_activity as d
    on d.user_id = members.user_id and d.activity_date <= as_of.as_of_date
  group by members.account_id, members.is_personal
),

-- Each user's subscription state at the end of day A; a user with none is on free.
states as (
  select distinct on (s.user_id) s.user_id, s.to_plan, s.to_currency, s.to_mrr
  from core.fact_subscription_changes as s
  cross join as_of
  where s.changed_at < as_of.as_of_end
  order by s.user_id, s.user_change_number desc
),

member_states as (
  select members.account_id, members.is_personal, coalesce(states.to_plan, 'free') as plan,
    states.to_currency as currency, coalesce(states.to_mrr, 0.00) as mrr
  from members
  left join states on states.user_id = members.user_id
),

plan_mix as (
  select account_id, is_personal, string_agg(plan || ' ' || users, ', ' order by plan) as current_plan_mix
  from (
    select account_id, is_personal, plan, count(*) as users from member_states group by account_id, is_personal, plan
  ) as plans
  group by account_id, is_personal
),

-- Currencies are never summed: the account's MRR in the currency it pays most in (ties: the code).
mrr as (
  select distinct on (account_id, is_personal) account_id, is_personal, currency, mrr
  from (
    select account_id, is_personal, currency, sum(mrr) as mrr
    from member_states
    where mrr > 0
    group by account_id, is_personal, currency
  ) as by_currency
  order by account_id, is_personal, mrr desc, currency
),

measures as (
  select
    a.account_id,
    a.is_personal,
    a.account_name,
    count_members.users,
    coalesce(activity.active_users_7d, 0) as active_users_7d,
    coalesce(activity.active_users_30d, 0) as active_users_30d,
    coalesce(mrr.mrr, 0.00) as current_mrr,
    mrr.currency,
    plan_mix.current_plan_mix,
    activity.last_active_date,
    as_of.as_of_date - coalesce(activity.last_active_date, a.first_seen_date) as days_since_last_activity,
    coalesce(activity.events_last_30_days, 0) as events_last_30_days,
    coalesce(activity.events_prior_30_days, 0) as events_prior_30_days,
    mrr.mrr is not null as is_paying,
    as_of.as_of_date
  from core.dim_accounts as a
  cross join as_of
  inner join (
    select account_id, is_personal, count(*)::integer as users from members group by account_id, is_personal
  ) as count_members on count_members.account_id = a.account_id and count_members.is_personal = a.is_personal
  left join activity on activity.account_id = a.account_id and activity.is_personal = a.is_personal
  left join mrr on mrr.account_id = a.account_id and mrr.is_personal = a.is_personal
  left join plan_mix on plan_mix.account_id = a.account_id and plan_mix.is_personal = a.is_personal
  where a.first_seen_date <= as_of.as_of_date
),

points as (
  select
    measures.*,
    round(active_users_30d::numeric / users, 4) as seat_utilization,
    -- Breadth, up to 40: the share of the account's users active in the last 30 days.
    40.0 * active_users_30d / users as breadth_points,
    -- Recency, up to 30: full when active on A, nothing after 30 days without activity.
    30.0 * greatest(0, 30 - days_since_last_activity) / 30 as recency_points,
    -- Trend, up to 15: the last 30 days' events against the 30 before, full when steady or rising.
    case
      when events_last_30_days = 0 then 0.0
      when events_prior_30_days = 0 then 15.0
      else 15.0 * least(1, events_last_30_days::numeric / events_prior_30_days)
    end as trend_points,
    -- MRR, 15: a paying account.
    case when is_paying then 15.0 else 0.0 end as mrr_points
  from measures
)

select
  account_id,
  is_personal,
  account_name,
  users,
  active_users_7d,
  active_users_30d,
  current_mrr,
  currency,
  current_plan_mix,
  last_active_date,
  days_since_last_activity,
  seat_utilization,
  events_last_30_days,
  events_prior_30_days,
  round(breadth_points + recency_points + trend_points + mrr_points)::integer as account_health_score,
  case
    when round(breadth_points + recency_points + trend_points + mrr_points) >= 70 then 'healthy'
    when round(breadth_points + recency_points + trend_points + mrr_points) >= 40 then 'watch'
    else 'at_risk'
  end as account_health_category,
  is_paying,
  as_of_date
from points
with no data;

create unique index account_health_pk on analytics_build.account_health (account_id, is_personal);

grant select on analytics_build.account_health to saas_transformer;
