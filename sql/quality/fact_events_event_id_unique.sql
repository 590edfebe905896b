-- severity: error
-- description: Each event_id appears once in core.fact_events (checked on the dates this run rebuilt).
select event_id, count(*) as copies
from core.fact_events
where event_date = any(:dates::date[])
group by event_id
having count(*) > 1
