-- Rebuilds the event facts of the pending dates :dates from staging: delete, then insert.
delete from core.fact_events where event_date = any(:dates::date[]);

insert into core.fact_events (
  event_id, event_date, event_at, event_type, user_id, session_id, document_id, feature_id, platform,
  edit_duration_seconds, characters_added, duration_seconds, account_id
)
select
  event_id, event_date, event_at, event_type, user_id, session_id, document_id, feature_id, platform,
  edit_duration_seconds, characters_added, duration_seconds, account_id
from staging.events
where event_date = any(:dates::date[]);
