-- severity: error
-- description: Every fact's event_date has a row in core.dim_date.
select distinct f.event_date
from core.fact_events as f
where f.event_date = any(:dates::date[])
  and not exists (select 1 from core.dim_date as d where d.calendar_date = f.event_date)
