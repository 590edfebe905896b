-- The steps of the latest run, in the order they started, with their rows and seconds.
select
  step_name as step,
  status,
  row_count as rows,
  round(duration_ms / 1000.0, 2) as seconds
from ops.run_steps
where run_id = (select run_id from ops.runs order by started_at desc limit 1)
order by started_at, step_name
