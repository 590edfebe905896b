-- The latest runs of the pipeline, newest first.
select
  run_id,
  status,
  trigger,
  as_of_date,
  started_at,
  -- A run still going shows how long it has been going; one that ended without a finish time shows none.
  round(extract(epoch from coalesce(finished_at, case when status = 'running' then now() end) - started_at)::numeric, 1)
    as duration_seconds,
  left(error, 300) as error
from ops.runs
order by started_at desc
limit :limit
