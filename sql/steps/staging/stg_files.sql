-- Closes staging batch :batch_id once all its shards are done: records each file's outcome in the
-- ledger, where the quality gate reconciles it with the tables, and marks the files staged.
with batch as (
  select batch_id, file_ids from ops.staging_batches where batch_id = :batch_id::bigint
),

staged as (
  select file_id, sum(staged_rows) as rows
  from ops.staging_shard_files
  where batch_id = :batch_id::bigint
  group by file_id
),

quarantined as (
  select q.file_id, count(*) as rows
  from staging.quarantine as q
  where q.file_id = any((select file_ids from batch)::bigint[])
  group by q.file_id
),

duplicated as (
  select d.file_id, count(*) as rows
  from staging.duplicates as d
  where d.file_id = any((select file_ids from batch)::bigint[])
  group by d.file_id
),

unmapped as (
  select u.file_id, count(*) as rows
  from staging.unmapped_events as u
  where u.file_id = any((select file_ids from batch)::bigint[])
  group by u.file_id
),

identities as (
  select i.file_id, count(*) as rows
  from staging.identity_messages as i
  where i.file_id = any((select file_ids from batch)::bigint[])
  group by i.file_id
),

outcomes as (
  select
    f.file_id,
    coalesce(s.rows, 0) as staged,
    coalesce(q.rows, 0) as quarantined,
    coalesce(d.rows, 0) as duplicates,
    coalesce(u.rows, 0) as unmapped,
    coalesce(i.rows, 0) as identities
  from batch
  cross join lateral unnest(batch.file_ids) as f (file_id)
  left join staged as s on s.file_id = f.file_id
  left join quarantined as q on q.file_id = f.file_id
  left join duplicated as d on d.file_id = f.file_id
  left join unmapped as u on u.file_id = f.file_id
  left join identities as i on i.file_id = f.file_id
),

-- The run that finishes a batch owns its files for the quality gate, even if another run began it.
closed as (
  update ops.staging_batches set finished_at = now(), run_id = coalesce(:run_id::text, run_id)
  where batch_id = :batch_id::bigint
)

update raw.files as files
set status = 'staged', staged_at = now(),
  staged_rows = outcomes.staged, quarantined_rows = outcomes.quarantined, duplicate_rows = outcomes.duplicates,
  unmapped_rows = outcomes.unmapped, identity_rows = outcomes.identities
from outcomes
where files.file_id = outcomes.file_id
returning files.file_id, files.object_key, files.staged_rows, files.quarantined_rows, files.duplicate_rows,
  files.unmapped_rows, files.identity_rows;
