-- Rebuilds, for the pending dates :dates, one row per user and day with an event that names an
-- account: the account of the day's latest such event (ties: the greatest event_id).
delete from core.fact_daily_user_accounts where activity_date = any(:dates::date[]);

insert into core.fact_daily_user_accounts (user_id, activity_date, account_id, account_event_at, account_event_id)
select distinct on (user_id, event_date) user_id, event_date, account_id, event_at, event_id
from staging.events
where event_date = any(:dates::date[]) and account_id is not null
order by user_id, event_date, event_at desc, event_id desc;
