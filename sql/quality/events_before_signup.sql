-- severity: warn
-- description: Users with events of their own before their signup event (their first version starts at the earliest of them). What they did anonymously before it, linked to them later, is expected.
with first_events as (
  select user_id, min(event_at) as first_event_at
  from core.fact_events
  where event_date = any(:dates::date[]) and person_source = 'user_id'
  group by user_id
)

select f.user_id, f.first_event_at, u.signup_at
from first_events as f
inner join core.dim_users as u on u.user_id = f.user_id and u.version_number = 1
where f.first_event_at < u.signup_at
