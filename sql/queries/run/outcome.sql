-- How run :run_id ended: its status, as-of date, and seconds from start to finish (or to now).
select
  status,
  as_of_date,
  round(extract(epoch from coalesce(finished_at, now()) - started_at)::numeric, 1)::text as seconds
from ops.runs
where run_id = :run_id
