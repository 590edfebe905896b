-- severity: warn
-- description: Users with events before their signup (their first version starts after those events).
select f.user_id, min(f.event_at) as first_event_at, min(u.signup_at) as signup_at
from core.fact_events as f
inner join core.dim_users as u on u.user_id = f.user_id and u.version_number = 1
where f.event_date = any(:dates::date[]) and f.event_at < u.valid_from
group by f.user_id
