-- severity: error
-- description: Every raw line of every staged file is accounted for: rows + invalid lines = lines = staged + quarantined + duplicates, and the ledger agrees with raw.events (for this run's files) and with the quarantine and duplicate tables.
with raw_rows as (
  select file_id, count(*) as lines, count(*) filter (where line_reason is null) as rows
  from raw.events
  where file_id = any(:file_ids::bigint[])
  group by file_id
),

quarantined as (
  select file_id, count(*) as rows from staging.quarantine group by file_id
),

duplicates as (
  select file_id, count(*) as rows from staging.duplicates group by file_id
)

select
  f.file_id, f.object_key, f.line_count, f.row_count, f.invalid_line_count,
  f.staged_rows, f.quarantined_rows, f.duplicate_rows,
  coalesce(q.rows, 0) as quarantine_table_rows, coalesce(d.rows, 0) as duplicate_table_rows,
  r.rows as raw_table_rows, r.lines as raw_table_lines
from raw.files as f
left join quarantined as q on q.file_id = f.file_id
left join duplicates as d on d.file_id = f.file_id
left join raw_rows as r on r.file_id = f.file_id
where f.status = 'staged'
  and (f.line_count <> f.row_count + f.invalid_line_count
    or (f.file_id = any(:file_ids::bigint[])
      and (coalesce(r.rows, 0) <> f.row_count or coalesce(r.lines, 0) <> f.line_count))
    or f.line_count <> f.staged_rows + f.quarantined_rows + f.duplicate_rows
    or f.quarantined_rows <> coalesce(q.rows, 0)
    or f.duplicate_rows <> coalesce(d.rows, 0))
