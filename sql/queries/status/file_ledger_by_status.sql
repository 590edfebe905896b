-- The file ledger by status: files, their lines and what staging made of them, and the latest change.
select
  status,
  count(*) as files,
  sum(line_count) as lines,
  sum(staged_rows) as staged,
  sum(quarantined_rows) as quarantined,
  sum(duplicate_rows) as duplicates,
  max(coalesce(staged_at, loaded_at, started_at)) as last_change
from raw.files
group by status
order by status
