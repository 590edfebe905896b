-- severity: error
-- description: Every fact's user_id has a row in core.dim_users, but an anonymous person's, who never signed up.
select f.user_id, count(*) as events
from core.fact_events as f
where f.event_date = any(:dates::date[])
  and f.person_source <> 'anonymous'
  and not exists (select 1 from core.dim_users as u where u.user_id = f.user_id)
group by f.user_id
