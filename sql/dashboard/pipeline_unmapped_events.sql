-- Segment calls no mapping covers, most frequent first.
select message_type, event_name, row_count, first_date, last_date
from ops.unmapped_events_by_name
order by row_count desc, message_type, event_name
limit :limit::integer
