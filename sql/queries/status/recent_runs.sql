-- The five latest runs, newest first, with how long each took and the start of its error.
select
  run_id,
  status,
  trigger,
  as_of_date,
  started_at,
  round(extract(epoch from finished_at - started_at)::numeric, 1) as seconds,
  left(error, 80) as error
from ops.runs
order by started_at desc
limit 5
