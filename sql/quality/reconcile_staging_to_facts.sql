-- severity: error
-- description: On each rebuilt date, staging.events, core.fact_events and core.fact_daily_user_activity count the same events.
with staged as (
  select event_date, count(*) as events from staging.events where event_date = any(:dates::date[]) group by event_date
),

facts as (
  select event_date, count(*) as events from core.fact_events where event_date = any(:dates::date[]) group by event_date
),

daily as (
  select activity_date as event_date, sum(event_count) as events
  from core.fact_daily_user_activity
  where activity_date = any(:dates::date[])
  group by activity_date
)

select d.event_date, coalesce(s.events, 0) as staged, coalesce(f.events, 0) as facts, coalesce(a.events, 0) as daily_activity
from unnest(:dates::date[]) as d (event_date)
left join staged as s on s.event_date = d.event_date
left join facts as f on f.event_date = d.event_date
left join daily as a on a.event_date = d.event_date
where coalesce(s.events, 0) <> coalesce(f.events, 0) or coalesce(f.events, 0) <> coalesce(a.events, 0)
