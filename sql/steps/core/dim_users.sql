-- Rebuilds every version (SCD type 2) of each user with events on the pending dates :dates: the
-- signed-up persons of staging.signed_up_persons (docs/metrics.md, section 14), never an anonymous one.
-- The signup is the user_signed_up event, else the user's first event (producers that never send
-- sign-ups). Version 1 starts at the signup or at any earlier event of the user, so that every event
-- falls in a version. Each subscription event that changes plan, status or billing cycle starts a
-- new version; a cancellation moves the user to the free plan with status cancelled. Email, name,
-- company and country are the sign-up's, else the latest identify call's traits that give them.
create temp table dim_users_touched on commit drop as
select user_id from staging.signed_up_persons(:dates::date[]);

-- An id that a link now takes to another person is no user of its own.
delete from core.dim_users
where user_id in (select user_id from dim_users_touched)
   or user_id in (select source_id from staging.identity_links);

insert into core.dim_users (
  user_id, version_number, valid_from, valid_to, is_current, plan, subscription_status, billing_cycle,
  email, full_name, company, country, signup_at, signup_date, signup_source, first_seen_at
)
with touched as (
  select user_id from dim_users_touched
),

-- The lifecycle predicate repeats the partial index's, so this reads only a user's few lifecycle events.
lifecycle as (
  select e.user_id, e.event_id, e.event_type, e.event_at, e.plan, e.billing_cycle, e.email, e.full_name, e.company, e.country
  from staging.events as e
  where e.event_type in ('user_signed_up', 'subscription_started', 'subscription_upgraded',
                         'subscription_downgraded', 'subscription_cancelled')
    and e.user_id in (select user_id from touched)
),

signups as (
  select distinct on (user_id) user_id, event_at, plan, email, full_name, company, country
  from lifecycle
  where event_type = 'user_signed_up'
  order by user_id, event_at, event_id
),

first_seen as (
  select a.user_id, min(a.first_event_at) as first_event_at
  from core.fact_daily_user_activity as a
  where a.user_id in (select user_id from touched)
  group by a.user_id
),

-- The identify calls of each touched person (by its userId, or where an alias takes that id).
traits as (
  select
    coalesce(l.person_id, i.user_id) as user_id,
    (array_agg(i.email order by i.message_at desc, i.message_id desc) filter (where i.email is not null))[1] as email,
    (array_agg(i.full_name order by i.message_at desc, i.message_id desc) filter (where i.full_name is not null))[1]
      as full_name,
    (array_agg(i.company order by i.message_at desc, i.message_id desc) filter (where i.company is not null))[1]
      as company,
    (array_agg(i.country order by i.message_at desc, i.message_id desc) filter (where i.country is not null))[1]
      as country,
    -- The plan a person signed up on is the first one an identify gave.
    (array_agg(i.plan order by i.message_at, i.message_id) filter (where i.plan is not null))[1] as plan
  from staging.identity_messages as i
  left join staging.identity_links as l on l.source_id = i.user_id
  where i.message_type = 'identify' and i.user_id is not null
    and coalesce(l.person_id, i.user_id) in (select user_id from touched)
  group by coalesce(l.person_id, i.user_id)
),

profiles as (
  select
    touched.user_id,
    coalesce(signups.event_at, first_seen.first_event_at) as signup_at,
    least(signups.event_at, first_seen.first_event_at) as first_version_at,
    case when signups.user_id is not null then 'user_signed_up' else 'first_event' end as signup_source,
    coalesce(lower(nullif(signups.plan, '')), lower(nullif(traits.plan, '')), 'free') as signup_plan,
    coalesce(signups.email, traits.email) as email,
    coalesce(signups.full_name, traits.full_name) as full_name,
    coalesce(signups.company, traits.company) as company,
    coalesce(signups.country, traits.country) as country,
    first_seen.first_event_at as first_seen_at
  from touched
  left join signups on signups.user_id = touched.user_id
  left join first_seen on first_seen.user_id = touched.user_id
  left join traits on traits.user_id = touched.user_id
),

states as (
  select user_id, first_version_at as changed_at, 0 as change_order, '' as event_id,
    signup_plan as plan, 'active' as subscription_status, null::text as billing_cycle
  from profiles
  union all
  select user_id, event_at, 1, event_id,
    case when event_type = 'subscription_cancelled' then 'free' else lower(plan) end,
    case when event_type = 'subscription_cancelled' then 'cancelled' else 'active' end,
    case when event_type = 'subscription_cancelled' then null else billing_cycle end
  from lifecycle
  where event_type <> 'user_signed_up'
),

-- Of several changes at the same instant, the last one holds.
one_per_instant as (
  select distinct on (user_id, changed_at) *
  from states
  order by user_id, changed_at, change_order desc, event_id desc
),

compared as (
  select
    one_per_instant.*,
    lag(plan) over by_time as previous_plan,
    lag(subscription_status) over by_time as previous_status,
    lag(billing_cycle) over by_time as previous_billing_cycle,
    row_number() over by_time as change_number
  from one_per_instant
  window by_time as (partition by user_id order by changed_at)
),

versions as (
  select
    user_id, changed_at, plan, subscription_status, billing_cycle,
    row_number() over by_time as version_number,
    lead(changed_at) over by_time as valid_to
  from compared
  where change_number = 1
    or plan is distinct from previous_plan
    or subscription_status is distinct from previous_status
    or billing_cycle is distinct from previous_billing_cycle
  window by_time as (partition by user_id order by changed_at)
)

select
  versions.user_id,
  versions.version_number,
  versions.changed_at,
  versions.valid_to,
  versions.valid_to is null,
  versions.plan,
  versions.subscription_status,
  versions.billing_cycle,
  profiles.email,
  profiles.full_name,
  profiles.company,
  profiles.country,
  profiles.signup_at,
  (profiles.signup_at at time zone (select time_zone from ops.reporting_time_zone))::date,
  profiles.signup_source,
  profiles.first_seen_at
from versions
inner join profiles on profiles.user_id = versions.user_id;
