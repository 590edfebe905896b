-- Rebuilds the account of each user with events on the pending dates :dates, of each user whose row
-- rests on an event of those dates (an event that may have left staging since), and of each person
-- with a group call on them: the account of their latest event or group call that names one
-- (docs/metrics.md, section 14: at the same instant an event wins over a group call, then the greatest
-- id), from core.fact_daily_user_activity and staging.identity_messages, else the user alone (a
-- one-person account, is_personal, with the user's id). A user with no event left has no row.

-- Group calls (Segment's groupId), by the person their userId, or their anonymous id, links to.
create temp table account_group_calls on commit drop as
select coalesce(l.person_id, i.user_id, a.person_id) as user_id, i.account_id, i.message_at, i.message_id
from staging.identity_messages as i
left join staging.identity_links as l on l.source_id = i.user_id
left join staging.identity_links as a on i.user_id is null and a.source_id = i.anonymous_id
where i.message_type = 'group' and coalesce(i.account_id, '') <> ''
  and coalesce(l.person_id, i.user_id, a.person_id) is not null;

create temp table account_users on commit drop as
select user_id from staging.signed_up_persons(:dates::date[])
union
select user_id
from core.dim_user_accounts
where (first_event_at at time zone (select time_zone from ops.reporting_time_zone))::date = any(:dates::date[])
   or (account_event_at at time zone (select time_zone from ops.reporting_time_zone))::date = any(:dates::date[])
union
select user_id from account_group_calls where (message_at at time zone (select time_zone from ops.reporting_time_zone))::date = any(:dates::date[]);

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
  select latest_of.account_id, latest_of.account_event_at, latest_of.account_event_id
  from (
    (
      select d.account_id, d.account_event_at, d.account_event_id, 1 as from_event
      from core.fact_daily_user_activity as d
      where d.user_id = firsts.user_id and d.account_id is not null
      order by d.account_event_at desc, d.account_event_id desc
      limit 1
    )
    union all
    select g.account_id, g.message_at, g.message_id, 0
    from account_group_calls as g
    where g.user_id = firsts.user_id
  ) as latest_of
  order by latest_of.account_event_at desc, latest_of.from_event desc, latest_of.account_event_id desc
  limit 1
) as latest on true;
