-- The data-quality results of the latest run that checked anything, failures first.
with latest as (
  select run_id
  from ops.quality_results
  order by checked_at desc
  limit 1
)

select q.run_id, q.check_name, q.severity, q.passed, q.failing_rows, q.description
from ops.quality_results as q
inner join latest on latest.run_id = q.run_id
order by q.passed, q.severity, q.check_name
