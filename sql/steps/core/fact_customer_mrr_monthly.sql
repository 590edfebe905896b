-- Rebuilds the monthly MRR of the accounts the pending dates :dates can change, from the first month
-- they can change, up to the month of the last day in core.dim_date (the latest event date staged).
-- An account and month are rebuilt when:
--   - a user of the account has events on a pending date: from that date's month (a subscription
--     event changes the state from its instant on, and any event can move where version 1 starts);
--   - a user with events on a pending date moved from one account to another: both, from the first
--     month the user's MRR counted for the old one (paying_user_ids says which users made it up);
--   - the calendar reached a new month: every account paying at the end of the last one, from the new
--     month on.
-- The months before stay as they are, and so does every other account. Months are integer offsets
-- (year * 12 + month - 1), so no time zone can shift them. docs/metrics.md, section 13.

create temp table mrr_bounds on commit drop as
select
  (select (extract(year from max(calendar_date)) * 12 + extract(month from max(calendar_date)) - 1)::integer
   from core.dim_date) as last_month,
  (select (extract(year from max(month)) * 12 + extract(month from max(month)) - 1)::integer
   from core.fact_customer_mrr_monthly) as built_month;

create temp table mrr_touched on commit drop as
select e.user_id, (extract(year from min(e.event_date)) * 12 + extract(month from min(e.event_date)) - 1)::integer
  as from_month
from staging.events as e
where e.event_date = any(:dates::date[])
group by e.user_id;

-- Where each touched user's subscriptions now count (fact_subscription_changes has just been rebuilt).
create temp table mrr_touched_accounts on commit drop as
select distinct on (f.user_id) f.user_id, f.account_id, f.is_personal, t.from_month
from core.fact_subscription_changes as f
inner join mrr_touched as t on t.user_id = f.user_id
order by f.user_id;

create temp table mrr_accounts on commit drop as
select account_id, is_personal, min(from_month) as from_month
from (
  select account_id, is_personal, from_month from mrr_touched_accounts
  union all
  -- Moved users: the months their MRR counted for another account than theirs now.
  select moved.account_id, moved.is_personal, moved.from_month
  from (
    select
      f.account_id as old_account_id, f.is_personal as old_is_personal, a.account_id, a.is_personal,
      (extract(year from min(f.month)) * 12 + extract(month from min(f.month)) - 1)::integer as from_month
    from core.fact_customer_mrr_monthly as f
    cross join lateral unnest(f.paying_user_ids) as paying (user_id)
    inner join mrr_touched_accounts as a on a.user_id = paying.user_id
    where f.paying_user_ids && (select array_agg(user_id) from mrr_touched)
      and (f.account_id, f.is_personal) <> (a.account_id, a.is_personal)
    group by f.account_id, f.is_personal, a.account_id, a.is_personal
  ) as moves
  cross join lateral (
    values (moves.old_account_id, moves.old_is_personal, moves.from_month),
           (moves.account_id, moves.is_personal, moves.from_month)
  ) as moved (account_id, is_personal, from_month)
  union all
  -- A new month: every account still paying at the end of the last one built.
  select f.account_id, f.is_personal, b.built_month + 1
  from core.fact_customer_mrr_monthly as f
  cross join mrr_bounds as b
  where b.built_month < b.last_month
    and f.mrr > 0
    and f.month = make_date(b.built_month / 12, b.built_month % 12 + 1, 1)
) as reasons
group by account_id, is_personal;

analyze mrr_accounts;

-- The months before an account's first rebuilt month that its rebuild starts from.
create temp table mrr_before on commit drop as
select
  f.account_id, f.is_personal, f.currency,
  coalesce(max(f.mrr) filter (where f.month = make_date((a.from_month - 1) / 12, (a.from_month - 1) % 12 + 1, 1)), 0.00)
    as previous_mrr,
  bool_or(f.mrr > 0) as has_paid
from core.fact_customer_mrr_monthly as f
inner join mrr_accounts as a on a.account_id = f.account_id and a.is_personal = f.is_personal
where f.month < make_date(a.from_month / 12, a.from_month % 12 + 1, 1)
group by f.account_id, f.is_personal, f.currency;

delete from core.fact_customer_mrr_monthly as f
using mrr_accounts as a
where f.account_id = a.account_id and f.is_personal = a.is_personal
  and f.month >= make_date(a.from_month / 12, a.from_month % 12 + 1, 1);

insert into core.fact_customer_mrr_monthly (
  account_id, is_personal, currency, month, previous_mrr, mrr, movement, movement_mrr, paying_users,
  paying_user_ids
)
-- Each paying state of the accounts' users, with the months at whose end it is in force: from the
-- month it starts in to the month before the user's next state starts (the end of month M is the
-- first instant of M + 1, so a change at midnight belongs to the month it opens).
with states as (
  select
    s.account_id, s.is_personal, s.user_id, s.to_currency as currency, s.to_mrr as mrr,
    (extract(year from s.changed_at at time zone (select time_zone from ops.reporting_time_zone)) * 12
      + extract(month from s.changed_at at time zone (select time_zone from ops.reporting_time_zone)) - 1)::integer as first_month,
    (extract(year from next_at at time zone (select time_zone from ops.reporting_time_zone)) * 12
      + extract(month from next_at at time zone (select time_zone from ops.reporting_time_zone)) - 1)::integer - 1 as last_month
  from (
    select f.*, lead(f.changed_at) over (partition by f.user_id order by f.user_change_number) as next_at
    from core.fact_subscription_changes as f
    inner join mrr_accounts as a on a.account_id = f.account_id and a.is_personal = f.is_personal
  ) as s
),

month_ends as (
  select states.account_id, states.is_personal, states.currency, states.user_id, states.mrr, month_index
  from states
  inner join mrr_accounts as a on a.account_id = states.account_id and a.is_personal = states.is_personal
  cross join mrr_bounds as b
  cross join lateral generate_series(
    greatest(states.first_month, a.from_month),
    least(coalesce(states.last_month, b.last_month), b.last_month)
  ) as month_index
  where states.mrr > 0
),

snapshots as (
  select
    account_id, is_personal, currency, month_index,
    sum(mrr) as mrr,
    count(*)::integer as paying_users,
    array_agg(user_id order by user_id) as paying_user_ids
  from month_ends
  group by account_id, is_personal, currency, month_index
),

-- Every currency the account pays in over the rebuilt months, or paid in at the end of the month before.
currencies as (
  select distinct account_id, is_personal, currency from snapshots
  union
  select account_id, is_personal, currency from mrr_before where previous_mrr > 0
),

series as (
  select
    c.account_id, c.is_personal, c.currency, m.month_index,
    coalesce(s.mrr, 0.00) as mrr,
    coalesce(s.paying_users, 0) as paying_users,
    coalesce(s.paying_user_ids, '{}') as paying_user_ids,
    coalesce(before.previous_mrr, 0.00) as mrr_before_rebuild,
    coalesce(before.has_paid, false) as paid_before_rebuild
  from currencies as c
  inner join mrr_accounts as a on a.account_id = c.account_id and a.is_personal = c.is_personal
  cross join mrr_bounds as b
  cross join lateral generate_series(a.from_month, b.last_month) as m (month_index)
  left join snapshots as s
    on s.account_id = c.account_id and s.is_personal = c.is_personal and s.currency = c.currency
   and s.month_index = m.month_index
  left join mrr_before as before
    on before.account_id = c.account_id and before.is_personal = c.is_personal and before.currency = c.currency
),

compared as (
  select
    series.*,
    coalesce(lag(mrr) over by_month, mrr_before_rebuild) as previous_mrr,
    paid_before_rebuild
      or coalesce(bool_or(mrr > 0) over (by_month rows between unbounded preceding and 1 preceding), false)
      as has_paid_before
  from series
  window by_month as (partition by account_id, is_personal, currency order by month_index)
),

classified as (
  select
    compared.*,
    case
      when previous_mrr = 0 and mrr > 0 then case when has_paid_before then 'reactivation' else 'new' end
      when previous_mrr > 0 and mrr = 0 then 'churn'
      when previous_mrr > 0 and mrr > previous_mrr then 'expansion'
      when mrr > 0 and mrr < previous_mrr then 'contraction'
      else 'none'
    end as movement
  from compared
)

select
  account_id,
  is_personal,
  currency,
  make_date(month_index / 12, month_index % 12 + 1, 1),
  previous_mrr,
  mrr,
  movement,
  case movement
    when 'new' then mrr
    when 'reactivation' then mrr
    when 'expansion' then mrr - previous_mrr
    when 'contraction' then previous_mrr - mrr
    when 'churn' then previous_mrr
    else 0.00
  end,
  paying_users,
  paying_user_ids
from classified
where mrr > 0 or previous_mrr > 0;
