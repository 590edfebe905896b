-- The data-quality results of the latest run that checked: failures first, then by severity and name.
select
  check_name,
  severity,
  case when passed then 'pass' else 'FAIL' end as result,
  failing_rows
from ops.quality_results
where run_id = (select run_id from ops.quality_results order by checked_at desc limit 1)
order by passed, severity, check_name
