-- Rebuilds one row per feature, user and day of use for the pending dates :dates.
delete from core.fact_daily_user_features where activity_date = any(:dates::date[]);

insert into core.fact_daily_user_features (
  feature_id, user_id, activity_date, use_count, duration_seconds_total, duration_count, first_used_at, last_used_at
)
select
  feature_id,
  user_id,
  event_date,
  count(*),
  coalesce(sum(duration_seconds), 0),
  count(duration_seconds),
  min(event_at),
  max(event_at)
from core.fact_events
where event_date = any(:dates::date[]) and event_type = 'feature_used'
group by feature_id, user_id, event_date;
