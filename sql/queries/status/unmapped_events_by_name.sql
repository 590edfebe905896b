-- Segment calls no mapping covers (kept in staging.unmapped_events, not quarantined), most first.
select message_type as type, event_name as name, row_count as rows, first_date, last_date
from ops.unmapped_events_by_name
order by row_count desc, message_type, event_name
limit 20
