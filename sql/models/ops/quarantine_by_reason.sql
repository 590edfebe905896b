-- Quarantined lines by reason, for the health panel of dashboards that log in as analytics_reader:
-- counts only. A view reads with its owner's rights, so the reader sees them without being granted a
-- single staging row.
create or replace view ops.quarantine_by_reason as
select reason, count(*)::bigint as row_count, count(distinct file_id)::integer as file_count
from staging.quarantine
group by reason;

-- As every relation in ops (sql/migrations/0017) for the transformer; the view cannot be written through.
grant select on ops.quarantine_by_reason to analytics_reader;
grant select, insert, update, delete on ops.quarantine_by_reason to saas_transformer;
