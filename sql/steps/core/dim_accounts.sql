-- Rebuilds every account from its users (core.dim_user_accounts, one row per user): a user who moves
-- takes their share from one account to another, and an account left without users goes. One row per
-- user makes this cheap next to the facts; it runs when the run has pending dates.
delete from core.dim_accounts;

insert into core.dim_accounts (account_id, is_personal, account_name, first_seen_at, first_seen_date, users)
with members as (
  select account_id, is_personal, user_id, first_event_at
  from core.dim_user_accounts
),

-- The company named by the latest sign-up among the account's users (ties: the greatest user_id).
names as (
  select distinct on (m.account_id, m.is_personal) m.account_id, m.is_personal, u.company
  from members as m
  inner join core.dim_users as u on u.user_id = m.user_id and u.is_current
  where coalesce(u.company, '') <> '' and u.signup_source = 'user_signed_up'
  order by m.account_id, m.is_personal, u.signup_at desc, u.user_id desc
),

accounts as (
  select account_id, is_personal, min(first_event_at) as first_seen_at, count(*)::integer as users
  from members
  group by account_id, is_personal
)

select
  accounts.account_id,
  accounts.is_personal,
  names.company,
  accounts.first_seen_at,
  (accounts.first_seen_at at time zone (select time_zone from ops.reporting_time_zone))::date,
  accounts.users
from accounts
left join names on names.account_id = accounts.account_id and names.is_personal = accounts.is_personal;
