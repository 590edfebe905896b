-- Lifecycle of signed-up users per period (grain 'week', the ISO week, or 'month'), as of A
-- (docs/metrics.md, section 16): for each period P up to the one holding A, and each status, the
-- users in it. A user's activity counts from their signup date on, so that a user active in P signed
-- up in P or before it:
--   new           active in P, signed up in P;
--   returning     active in P and in P-1, signed up before P;
--   resurrecting  active in P, not in P-1, signed up before P;
--   dormant       active in P-1, not in P.
-- Every period from the first with activity has its four rows, zeros included. The last period is
-- incomplete when it ends after A. Read by analytics/user_lifecycle_weekly and user_lifecycle_monthly.
create or replace function analytics_build.lifecycle_periods(grain text)
returns table (
  period_start date, period_end date, status text, users integer, is_complete boolean, as_of_date date
)
language sql
stable
as $$
with as_of as (
  select as_of_date, ('1 ' || lifecycle_periods.grain)::interval as step from ops.analytics_as_of
),

users as (
  select u.user_id, u.signup_date
  from core.dim_users as u
  cross join as_of
  where u.is_current and u.signup_date <= as_of.as_of_date
),

-- Each user's periods with activity, from their signup on and up to A.
active as (
  select distinct a.user_id, date_trunc(lifecycle_periods.grain, a.activity_date)::date as period_start
  from core.fact_daily_user_activity as a
  inner join users on users.user_id = a.user_id and a.activity_date >= users.signup_date
  cross join as_of
  where a.activity_date <= as_of.as_of_date
),

-- Every period from the first with activity to the one holding A: a period with no one active
-- still has its rows (dormant users, zeros).
periods as (
  select p::date as period_start
  from as_of
  cross join lateral generate_series(
    (select min(active.period_start) from active),
    date_trunc(lifecycle_periods.grain, as_of.as_of_date::timestamp),
    as_of.step
  ) as p
),

statuses as (
  -- Active in P: new when signed up in P, else returning or resurrecting by P-1.
  select
    a.period_start,
    case
      when date_trunc(lifecycle_periods.grain, u.signup_date)::date = a.period_start then 'new'
      when prior.user_id is not null then 'returning'
      else 'resurrecting'
    end as status,
    a.user_id
  from active as a
  inner join users as u on u.user_id = a.user_id
  cross join as_of
  left join active as prior
    on prior.user_id = a.user_id and prior.period_start = (a.period_start - as_of.step)::date
  union all
  -- Active in P-1, not in P.
  select (a.period_start + as_of.step)::date, 'dormant', a.user_id
  from active as a
  cross join as_of
  where (a.period_start + as_of.step)::date <= as_of.as_of_date
    and not exists (
      select 1 from active as next
      where next.user_id = a.user_id and next.period_start = (a.period_start + as_of.step)::date
    )
)

select
  p.period_start,
  (p.period_start + as_of.step - interval '1 day')::date as period_end,
  s.status,
  count(st.user_id)::integer as users,
  (p.period_start + as_of.step - interval '1 day')::date <= as_of.as_of_date as is_complete,
  as_of.as_of_date
from periods as p
cross join as_of
cross join (values ('new'), ('returning'), ('resurrecting'), ('dormant')) as s (status)
left join statuses as st on st.period_start = p.period_start and st.status = s.status
group by p.period_start, s.status, as_of.as_of_date, as_of.step
order by p.period_start, array_position(array['new', 'returning', 'resurrecting', 'dormant'], s.status);
$$;

grant execute on function analytics_build.lifecycle_periods(text) to saas_transformer;
