-- severity: warn
-- description: Files staged by this run with more than 5% of their lines quarantined.
select file_id, object_key, line_count, quarantined_rows,
  round(100.0 * quarantined_rows / nullif(line_count, 0), 2) as quarantined_percent
from raw.files
where file_id = any(:file_ids::bigint[]) and quarantined_rows > 0.05 * line_count
