-- Quarantined rows by reason, most first, each with one detail as an example.
select
  reason,
  count(*) as rows,
  min(detail) as example_detail
from staging.quarantine
group by reason
order by count(*) desc
