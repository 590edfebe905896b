-- severity: error
-- description: Every fact's event_type is one of the accepted event types.
select f.event_type, count(*) as events
from core.fact_events as f
left join staging.accepted_event_types as t on t.event_type = f.event_type
where f.event_date = any(:dates::date[]) and t.event_type is null
group by f.event_type
