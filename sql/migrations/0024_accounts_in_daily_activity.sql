-- Each user-day's account moves into core.fact_daily_user_activity, and each event's account into
-- core.fact_events, so that the account of a day is taken in the same pass over the day's events as
-- its activity, rather than by a second model that read and sorted every staged event again (it was a
-- tenth of a run: issue 11). What was in core.fact_daily_user_accounts is carried over first.
alter table core.fact_events add column account_id text collate "C";

update core.fact_events as f
set account_id = s.account_id
from staging.events as s
where s.event_id = f.event_id and s.account_id is not null;

-- The account named by the day's latest event that names one (ties: the greatest event_id); null,
-- all three, when no event of the day names one.
alter table core.fact_daily_user_activity
  add column account_id text collate "C",
  add column account_event_at timestamptz,
  add column account_event_id text collate "C",
  add constraint fact_daily_user_activity_account_check
    check ((account_id is null) = (account_event_at is null) and (account_id is null) = (account_event_id is null));

update core.fact_daily_user_activity as a
set account_id = d.account_id, account_event_at = d.account_event_at, account_event_id = d.account_event_id
from core.fact_daily_user_accounts as d
where d.user_id = a.user_id and d.activity_date = a.activity_date;

-- The published copy has the same columns in the same order (publish.sql copies it with select *).
alter table analytics.fact_daily_user_activity
  add column account_id text collate "C",
  add column account_event_at timestamptz,
  add column account_event_id text collate "C";

update analytics.fact_daily_user_activity as a
set account_id = d.account_id, account_event_at = d.account_event_at, account_event_id = d.account_event_id
from core.fact_daily_user_accounts as d
where d.user_id = a.user_id and d.activity_date = a.activity_date;

drop table core.fact_daily_user_accounts;
