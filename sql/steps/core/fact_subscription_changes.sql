-- Rebuilds the subscription changes of every account touched by the pending dates :dates: the accounts
-- of the users with events on those dates, now (core.dim_user_accounts) and before (their rows here),
-- so a user who moved leaves their old account's figures too. An account's rows are rebuilt whole,
-- since each row also says what the event did to the account's MRR at its instant.
--
-- A user's states, in time order (ties: the sign-up first, then the greatest event_id last):
--   - their first user_signed_up opens the subscription at its plan (else free), from the start of
--     their dim_users version 1, as dim_users has it;
--   - each subscription_started, _upgraded, _downgraded sets plan, cycle and price;
--   - subscription_cancelled ends it: free, cancelled, worth 0, in the currency it was in.
-- A state's billing cycle is the event's, else the user's last one given, else monthly; its currency
-- the event's, else the user's last one given, else the price list's first for the plan and cycle,
-- else the price list's first. Its MRR: 0 when cancelled or free, else the event's mrr, else its
-- amount over the cycle's months, else the price list's price over them, else 0 (unpriced), rounded
-- to the cent. docs/metrics.md, section 13.

-- With the users whose rows rest on an event of those dates, which may have left staging since.
create temp table subscription_touched on commit drop as
select distinct user_id
from staging.events
where event_date = any(:dates::date[])
union
select user_id
from core.fact_subscription_changes
where change_date = any(:dates::date[]);

create temp table subscription_accounts on commit drop as
select a.account_id, a.is_personal
from core.dim_user_accounts as a
where a.user_id in (select user_id from subscription_touched)
union
select f.account_id, f.is_personal
from core.fact_subscription_changes as f
where f.user_id in (select user_id from subscription_touched);

create temp table subscription_members on commit drop as
select a.user_id, a.account_id, a.is_personal
from core.dim_user_accounts as a
inner join subscription_accounts as s on s.account_id = a.account_id and s.is_personal = a.is_personal;

analyze subscription_members;

delete from core.fact_subscription_changes as f
using subscription_accounts as s
where f.account_id = s.account_id and f.is_personal = s.is_personal;

insert into core.fact_subscription_changes (
  event_id, event_type, changed_at, change_date, user_change_number, user_id, account_id, is_personal,
  from_plan, to_plan, subscription_status, from_billing_cycle, to_billing_cycle, from_currency, to_currency,
  from_mrr, to_mrr, price_source, account_mrr_before, account_mrr_after, movement
)
-- The lifecycle predicate repeats the partial index's, so this reads only the members' few lifecycle events.
with lifecycle as (
  select e.user_id, e.event_id, e.event_type, e.event_at, e.plan, e.billing_cycle, e.mrr, e.amount, e.currency
  from staging.events as e
  where e.event_type in ('user_signed_up', 'subscription_started', 'subscription_upgraded',
                         'subscription_downgraded', 'subscription_cancelled')
    and e.user_id in (select user_id from subscription_members)
),

signups as (
  select distinct on (user_id) *
  from lifecycle
  where event_type = 'user_signed_up'
  order by user_id, event_at, event_id
),

states as (
  select
    s.user_id, s.event_id, s.event_type, v.valid_from as changed_at, 0 as change_order,
    coalesce(lower(nullif(s.plan, '')), 'free') as plan, 'active' as subscription_status,
    lower(nullif(s.billing_cycle, '')) as given_cycle, s.mrr, s.amount, s.currency as given_currency
  from signups as s
  inner join core.dim_users as v on v.user_id = s.user_id and v.version_number = 1
  union all
  select
    user_id, event_id, event_type, event_at, 1,
    case when event_type = 'subscription_cancelled' then 'free' else lower(plan) end,
    case when event_type = 'subscription_cancelled' then 'cancelled' else 'active' end,
    lower(nullif(billing_cycle, '')), mrr, amount, currency
  from lifecycle
  where event_type <> 'user_signed_up'
),

-- Each given cycle and currency opens a group that the states after it share, until the next one.
numbered as (
  select
    states.*,
    row_number() over by_time as user_change_number,
    count(given_cycle) over by_time as cycle_group,
    count(given_currency) over by_time as currency_group
  from states
  window by_time as (partition by user_id order by changed_at, change_order, event_id)
),

carried as (
  select
    numbered.*,
    coalesce(first_value(given_cycle) over (partition by user_id, cycle_group order by user_change_number),
             'monthly') as billing_cycle,
    first_value(given_currency) over (partition by user_id, currency_group order by user_change_number)
      as kept_currency
  from numbered
),

with_currency as (
  select
    carried.*,
    coalesce(carried.kept_currency, plan_default.currency, list_default.currency) as currency
  from carried
  left join lateral (
    select p.currency from core.price_list as p
    where p.plan = carried.plan and p.billing_cycle = carried.billing_cycle
    order by p.position limit 1
  ) as plan_default on true
  left join lateral (select p.currency from core.price_list as p order by p.position limit 1) as list_default on true
),

priced as (
  select
    w.*,
    case
      when w.subscription_status = 'cancelled' then 'cancelled'
      when w.plan = 'free' then 'free'
      when w.mrr is not null then 'mrr'
      when w.amount is not null and w.billing_cycle in ('monthly', 'annual') then 'amount'
      when w.amount is not null then 'unpriced'
      when p.price is not null then 'price_list'
      else 'unpriced'
    end as price_source,
    case
      when w.subscription_status = 'cancelled' or w.plan = 'free' then 0.00
      when w.mrr is not null then round(w.mrr, 2)
      when w.amount is not null and w.billing_cycle = 'monthly' then round(w.amount, 2)
      when w.amount is not null and w.billing_cycle = 'annual' then round(w.amount / 12, 2)
      when w.amount is not null then 0.00
      when p.price is not null then round(p.price / p.cycle_months, 2)
      else 0.00
    end as to_mrr
  from with_currency as w
  left join core.price_list as p
    on p.plan = w.plan and p.billing_cycle = w.billing_cycle and p.currency = w.currency
),

changes as (
  select
    priced.*,
    m.account_id,
    m.is_personal,
    lag(plan) over by_time as from_plan,
    lag(case when subscription_status = 'active' then billing_cycle end) over by_time as from_billing_cycle,
    lag(currency) over by_time as from_currency,
    coalesce(lag(to_mrr) over by_time, 0.00) as from_mrr
  from priced
  inner join subscription_members as m on m.user_id = priced.user_id
  window by_time as (partition by priced.user_id order by user_change_number)
),

-- A cancellation's currency is the one its subscription was in.
resolved as (
  select
    changes.*,
    case when subscription_status = 'cancelled' then coalesce(from_currency, currency) else currency end
      as to_currency
  from changes
),

-- What each event moves in the account's MRR, per currency, in the order of the account's events: the
-- state it ends leaves, the one it starts comes in, and a row of 0 in its own currency so that every
-- event has the account's MRR in it.
deltas as (
  select event_id, account_id, is_personal, changed_at, change_order, currency, sum(delta) as delta
  from (
    select event_id, account_id, is_personal, changed_at, change_order, from_currency as currency, -from_mrr as delta
    from resolved where from_mrr > 0
    union all
    select event_id, account_id, is_personal, changed_at, change_order, to_currency, to_mrr
    from resolved where to_mrr > 0
    union all
    select event_id, account_id, is_personal, changed_at, change_order, to_currency, 0.00
    from resolved where to_currency is not null
  ) as moves
  group by event_id, account_id, is_personal, changed_at, change_order, currency
),

running as (
  select
    deltas.*,
    sum(delta) over (partition by account_id, is_personal, currency
                     order by changed_at, change_order, event_id) as mrr_after
  from deltas
),

account_mrr as (
  select
    running.*,
    mrr_after - delta as mrr_before,
    coalesce(max(mrr_after) over (partition by account_id, is_personal, currency
                                  order by changed_at, change_order, event_id
                                  rows between unbounded preceding and 1 preceding), 0) > 0 as paid_before
  from running
)

select
  f.event_id,
  f.event_type,
  f.changed_at,
  (f.changed_at at time zone (select time_zone from ops.reporting_time_zone))::date,
  f.user_change_number,
  f.user_id,
  f.account_id,
  f.is_personal,
  f.from_plan,
  f.plan,
  f.subscription_status,
  f.from_billing_cycle,
  case when f.subscription_status = 'active' then f.billing_cycle end,
  f.from_currency,
  f.to_currency,
  f.from_mrr,
  f.to_mrr,
  f.price_source,
  coalesce(a.mrr_before, 0.00),
  coalesce(a.mrr_after, 0.00),
  case
    when coalesce(a.mrr_before, 0) = 0 and a.mrr_after > 0 then case when a.paid_before then 'reactivation' else 'new' end
    when a.mrr_before > 0 and a.mrr_after = 0 then 'churn'
    when a.mrr_before > 0 and a.mrr_after > a.mrr_before then 'expansion'
    when a.mrr_after > 0 and a.mrr_after < a.mrr_before then 'contraction'
    else 'unchanged'
  end
from resolved as f
left join account_mrr as a on a.event_id = f.event_id and a.currency = f.to_currency;
