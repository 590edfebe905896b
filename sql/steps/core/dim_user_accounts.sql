-- Rebuilds the account of each user with events on the pending dates :dates, and of each user whose
-- row rests on an event of those dates (an event that may have left staging since): the account of
-- their latest event that names one (ties: the greatest event_id), from core.fact_daily_user_activity,
-- else the user alone (a one-person account, is_personal, with the user's id). A user with no event
-- left has no row.
create temp table account_users on commit drop as
select user_id from staging.signed_up_persons(:dates::date[])
union
select user_id
from core.dim_user_accounts
where (first_event_at at time zone 'UTC')::date = any(:dates::date[])
   or (account_event_at at time zone 'UTC')::date = any(:dates::date[]);

delete from core.dim_user_accounts
where user_id in (select user_id from account_users)
   or user_id in (select source_id from staging.identity_links);

insert into core.dim_user_accounts (
  user_id, account_id, is_personal, account_event_at, account_event_id, first_event_at
)
with firsts as (
  select a.user_id, min(a.first_event_at) as first_event_at
  from core.fact_daily_user_activity as a
  where a.user_id in (select user_id from account_users)
  group by a.user_id
)

select
  firsts.user_id,
  coalesce(latest.account_id, firsts.user_id),
  latest.account_id is null,
  latest.account_event_at,
  latest.account_event_id,
  firsts.first_event_at
from firsts
left join lateral (
  select d.account_id, d.account_event_at, d.account_event_id
  from core.fact_daily_user_activity as d
  where d.user_id = firsts.user_id and d.account_id is not null
  order by d.account_event_at desc, d.account_event_id desc
  limit 1
) as latest on true;
