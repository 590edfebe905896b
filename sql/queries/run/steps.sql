-- The steps of run :run_id with the rows and seconds each recorded; the load_file steps, one per file,
-- summed into one line.
select
  step_name as step,
  status,
  row_count as rows,
  round(duration_ms / 1000.0, 2) as seconds
from ops.run_steps
where run_id = :run_id and step_name not like 'load_file %'
union all
select
  'load_file (' || count(*) || ' files)',
  min(status),
  sum(row_count),
  round(sum(duration_ms) / 1000.0, 2)
from ops.run_steps
where run_id = :run_id and step_name like 'load_file %'
having count(*) > 0
order by 1
