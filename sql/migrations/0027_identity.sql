-- Identity (docs/metrics.md, section 14): events that carry only a Segment anonymousId are staged, and
-- attributed to a person once an identify or alias call links that id to a userId.

-- A staged event names its person by user_id, or, before the person is known, by anonymous_id alone.
alter table staging.events
  add column anonymous_id text collate "C",
  alter column user_id drop not null,
  add constraint events_person_check check (user_id is not null or anonymous_id is not null);
-- The events of an anonymous id, found when a link to it arrives (only those without a user_id: an
-- event with both is the user's already).
create index events_anonymous_idx on staging.events (anonymous_id) where user_id is null;

-- Each id that a link maps to a person: an identify's anonymousId, an alias's previousId. person_id is
-- where the chain of first links ends (sql/steps/staging/identity_links.sql). Rebuilt by staging.
create table staging.identity_links (
  source_id text collate "C" primary key,
  person_id text collate "C" not null,
  -- The first link of source_id: the one that holds, whatever came later.
  message_id text collate "C" not null,
  linked_at timestamptz not null,
  check (source_id <> person_id)
);

-- Whose an event is: the event's own userId, an anonymous id linked to a person, or an anonymous person.
alter table core.fact_events
  add column person_source text not null default 'user_id'
    check (person_source in ('user_id', 'identity_link', 'anonymous'));

-- The first event of any id that maps to the person, identified or not.
alter table core.dim_users add column first_seen_at timestamptz;
update core.dim_users as u
set first_seen_at = first.first_seen_at
from (
  select user_id, min(first_event_at) as first_seen_at from core.fact_daily_user_activity group by user_id
) as first
where first.user_id = u.user_id;

-- The published copy, and BI may read it: it is a time, not personal data (sql/migrations/0025).
alter table analytics.dim_users add column first_seen_at timestamptz;
update analytics.dim_users as p set first_seen_at = u.first_seen_at
from core.dim_users as u
where u.user_id = p.user_id and u.version_number = p.version_number;
grant select (first_seen_at) on analytics.dim_users to analytics_reader;

-- IP addresses are stored truncated from now on (staging.truncated_ip, sql/models/staging): the IPv4
-- addresses staged before are cut to their /24 here; any other value (an IPv6 address, which
-- the model's function truncates to its /48 when staged now) is cleared: this migration runs before
-- that function exists. Set FULL_IP_ADDRESSES=on to keep whole addresses of what is staged next.
update staging.events
set ip_address = case
  when ip_address ~ '^([0-9]{1,3}\.){3}[0-9]{1,3}$' then regexp_replace(ip_address, '[0-9]{1,3}$', '0')
end
where ip_address is not null and ip_address !~ '^([0-9]{1,3}\.){3}0$';
