-- Segment calls no mapping covers, by type and name, for the health panel of dashboards that log in as
-- analytics_reader and for `saas-pipeline status`: counts only, read with the view owner's rights.
-- A name here needs an entry in sql/seeds/segment_mapping.json, then `saas-pipeline reprocess`.
create or replace view ops.unmapped_events_by_name as
select
  message_type,
  event_name,
  count(*)::bigint as row_count,
  min(event_date) as first_date,
  max(event_date) as last_date
from staging.unmapped_events
group by message_type, event_name;

-- As every relation in ops (sql/migrations/0017) for the transformer; the view cannot be written through.
grant select on ops.unmapped_events_by_name to analytics_reader;
grant select, insert, update, delete on ops.unmapped_events_by_name to saas_transformer;
