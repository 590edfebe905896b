-- severity: error
-- description: Every raw line of every staged file is accounted for: rows + invalid lines = lines = staged + quarantined + duplicates + unmapped + identity messages, and the ledger agrees with raw.events (for this run's files) and with the quarantine, duplicate, unmapped and identity tables.
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
),

unmapped as (
  select file_id, count(*) as rows from staging.unmapped_events group by file_id
),

identities as (
  select file_id, count(*) as rows from staging.identity_messages group by file_id
)

select
  f.file_id, f.object_key, f.line_count, f.row_count, f.invalid_line_count,
  f.staged_rows, f.quarantined_rows, f.duplicate_rows,
  coalesce(q.rows, 0) as quarantine_table_rows, coalesce(d.rows, 0) as duplicate_table_rows,
  r.rows as raw_table_rows, r.lines as raw_table_lines
from raw.files as f
left join quarantined as q on q.file_id = f.file_id
left join duplicates as d on d.file_id = f.file_id
left join unmapped as u on u.file_id = f.file_id
left join identities as i on i.file_id = f.file_id
left join raw_rows as r on r.file_id = f.file_id
where f.status = 'staged'
  and (f.line_count <> f.row_count + f.invalid_line_count
    or (f.file_id = any(:file_ids::bigint[])
      and (coalesce(r.rows, 0) <> f.row_count or coalesce(r.lines, 0) <> f.line_count))
    or f.line_count <> f.staged_rows + f.quarantined_rows + f.duplicate_rows
      + coalesce(f.unmapped_rows, 0) + coalesce(f.identity_rows, 0)
    or f.quarantined_rows <> coalesce(q.rows, 0)
    or f.duplicate_rows <> coalesce(d.rows, 0)
    or coalesce(f.unmapped_rows, 0) <> coalesce(u.rows, 0)
    or coalesce(f.identity_rows, 0) <> coalesce(i.rows, 0))
