-- Rebuilds one row per user per active day for the pending dates :dates, with the account of the
-- day's latest event that names one (ties: the greatest event_id), taken in the same pass.
delete from core.fact_daily_user_activity where activity_date = any(:dates::date[]);

insert into core.fact_daily_user_activity (
  user_id, activity_date, event_count, session_count, login_count, documents_created, documents_edited,
  edit_count, characters_added, edit_seconds, feature_uses, feature_seconds, active_seconds,
  distinct_features, first_event_at, last_event_at, account_id, account_event_at, account_event_id
)
with events as (
  select *
  from core.fact_events
  where event_date = any(:dates::date[])
),

per_user_day as (
  select
    user_id,
    event_date as activity_date,
    count(*) as event_count,
    count(distinct session_id) as session_count,
    count(*) filter (where event_type = 'user_login') as login_count,
    count(*) filter (where event_type = 'document_created') as documents_created,
    count(distinct document_id) filter (where event_type = 'document_edited') as documents_edited,
    count(*) filter (where event_type = 'document_edited') as edit_count,
    coalesce(sum(characters_added) filter (where event_type = 'document_edited'), 0) as characters_added,
    coalesce(sum(edit_duration_seconds) filter (where event_type = 'document_edited'), 0) as edit_seconds,
    count(*) filter (where event_type = 'feature_used') as feature_uses,
    coalesce(sum(duration_seconds) filter (where event_type = 'feature_used'), 0) as feature_seconds,
    count(distinct feature_id) filter (where event_type = 'feature_used') as distinct_features,
    min(event_at) as first_event_at,
    max(event_at) as last_event_at,
    -- {account_id, event_id} of each event that names an account, the latest first. The rows are
    -- sorted by user and day for the distinct counts already: ordering each day's few events again
    -- costs far less than a pass of its own over every event (bench/revenue-cost.ts measures it).
    array_agg(array[account_id, event_id] order by event_at desc, event_id desc)
      filter (where account_id is not null) as accounts,
    max(event_at) filter (where account_id is not null) as account_event_at
  from events
  group by user_id, event_date
)

select
  user_id, activity_date, event_count, session_count, login_count, documents_created, documents_edited,
  edit_count, characters_added, edit_seconds, feature_uses, feature_seconds, edit_seconds + feature_seconds,
  distinct_features, first_event_at, last_event_at, accounts[1][1], account_event_at, accounts[1][2]
from per_user_day;
