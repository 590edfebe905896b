-- Rows in each layer's main tables, counted, in the order data flows through them.
select "table", rows
from (
  select 1 as position, 'raw.events' as "table", count(*)::bigint as rows from raw.events
  union all select 2, 'staging.events', count(*) from staging.events
  union all select 3, 'staging.quarantine', count(*) from staging.quarantine
  union all select 4, 'staging.duplicates', count(*) from staging.duplicates
  union all select 5, 'core.fact_events', count(*) from core.fact_events
  union all select 6, 'core.fact_daily_user_activity', count(*) from core.fact_daily_user_activity
  union all select 7, 'core.dim_users (versions)', count(*) from core.dim_users
) as layers
order by position
