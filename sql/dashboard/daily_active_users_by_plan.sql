-- Active users per day up to A and plan: the plan of the user's dim_users version in force at the end
-- of the day (the one that began before the next midnight of the reporting time zone and had not
-- ended before it), so a user who upgrades at noon counts on the new plan that day. A person with no
-- version by then (an anonymous person, or activity linked to a user from before their sign-up) has
-- a null plan: the plans of a day add up to its DAU. Days without activity have no row.
with as_of as (
  select as_of_date, time_zone from analytics.as_of
),

activity as (
  select
    a.user_id,
    a.activity_date,
    (a.activity_date + 1)::timestamp at time zone as_of.time_zone as day_end
  from analytics.fact_daily_user_activity as a
  cross join as_of
  where a.activity_date <= as_of.as_of_date
),

versions as (
  select user_id, valid_from, valid_to, plan
  from analytics.dim_users
),

plans_of_days as (
  select activity.activity_date, versions.plan
  from activity
  left join versions
    on versions.user_id = activity.user_id
   and versions.valid_from < activity.day_end
   and (versions.valid_to is null or versions.valid_to >= activity.day_end)
)

select activity_date, plan, count(*)::integer as users
from plans_of_days
group by activity_date, plan
order by activity_date, plan nulls last
