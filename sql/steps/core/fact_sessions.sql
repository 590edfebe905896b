-- Rebuilds the sessions that the events of the pending dates :dates can change (docs/metrics.md,
-- section 17), from core.fact_events. A session is:
--   - every event of a user with the same session_id;
--   - among a user's events without one, a run of events each at most 30 minutes after the one
--     before: a longer gap starts the next session.
-- A session belongs to the day it started. Only events of the pending dates changed since the last
-- build, and core.fact_sessions held every other session as it is, so what can change is:
--   - a session with an id that an event of those dates has, or that spanned one of those dates;
--   - a session without one that comes within 30 minutes of one of those dates: a gap further
--     away is the same gap as before, so the sessions beyond it stay as they were.
-- Those are deleted and built again from their events alone, which the dates they spanned find.
-- Each date as instants: the day itself, and the day with 30 minutes either side.
create temp table session_windows on commit drop as
select
  d as event_date,
  d::timestamp at time zone z.time_zone as day_start,
  (d + 1)::timestamp at time zone z.time_zone as day_end,
  (d::timestamp at time zone z.time_zone) - interval '30 minutes' as window_start,
  ((d + 1)::timestamp at time zone z.time_zone) + interval '30 minutes' as window_end
from unnest(:dates::date[]) as d
cross join ops.reporting_time_zone as z;
analyze session_windows;

-- 1. Sessions with an id. The old ones to replace: those that spanned one of the dates, and those an
-- event of the dates names (found by probing the old sessions, never by a pass of its own over the
-- events). Their events are on the dates and on the dates the old ones spanned.
create temp table sessions_replaced on commit drop as
select s.user_id, s.session_id, s.session_date, s.end_date
from session_windows as w
inner join core.fact_sessions as s on s.ended_at >= w.day_start and s.started_at < w.day_end
where s.session_id is not null
union
select s.user_id, s.session_id, s.session_date, s.end_date
from core.fact_events as e
inner join core.fact_sessions as s on s.user_id = e.user_id and s.session_key = 'id:' || e.session_id
where e.session_id is not null and e.event_date = any(:dates::date[]);
analyze sessions_replaced;

create temp table sessions_named_dates on commit drop as
select d::date as event_date
from sessions_replaced as s
cross join lateral generate_series(s.session_date, s.end_date, interval '1 day') as d
union
select unnest(:dates::date[]);
analyze sessions_named_dates;

-- 2. Sessions by inactivity: per user, the stretch of time to build again, from the windows (each
-- pending date and 30 minutes either side) and the old sessions that reach into them.
create temp table sessions_stretches on commit drop as
with touched as (
  select distinct e.user_id, w.window_start, w.window_end
  from core.fact_events as e
  inner join session_windows as w on w.event_date = e.event_date
  where e.event_date = any(:dates::date[]) and e.session_id is null
  union
  select s.user_id, w.window_start, w.window_end
  from session_windows as w
  inner join core.fact_sessions as s on s.ended_at >= w.window_start and s.started_at <= w.window_end
  where s.session_id is null
),

reaching as (
  select
    t.user_id,
    least(t.window_start, min(s.started_at)) as stretch_start,
    greatest(t.window_end, max(s.ended_at)) as stretch_end
  from touched as t
  left join core.fact_sessions as s
    on s.user_id = t.user_id and s.session_id is null
   and s.started_at <= t.window_end and s.ended_at >= t.window_start
  group by t.user_id, t.window_start, t.window_end
)

select
  r.user_id,
  min(r.stretch_start) as stretch_start,
  max(r.stretch_end) as stretch_end,
  (min(r.stretch_start) at time zone z.time_zone)::date as first_date,
  (max(r.stretch_end) at time zone z.time_zone)::date as last_date
from reaching as r
cross join ops.reporting_time_zone as z
group by r.user_id, z.time_zone;
analyze sessions_stretches;

create temp table sessions_stretch_dates on commit drop as
select distinct d::date as event_date
from sessions_stretches as t
cross join lateral generate_series(t.first_date, t.last_date, interval '1 day') as d;
analyze sessions_stretch_dates;

delete from core.fact_sessions as s
using sessions_replaced as r
where s.user_id = r.user_id and s.session_key = 'id:' || r.session_id;

-- Sessions of a user do not overlap in time, so the old ones inside a stretch are all of it.
delete from core.fact_sessions as s
using sessions_stretches as t
where s.session_id is null and s.user_id = t.user_id
  and s.started_at >= t.stretch_start and s.started_at <= t.stretch_end;

-- 3. The sessions again. With an id: every session with an event on the dates, or replaced, from its
-- events, sorted once by session and time (the first event's platform and id come with the sort).
insert into core.fact_sessions (
  user_id, session_key, session_id, session_date, end_date, started_at, ended_at, duration_seconds,
  event_count, documents_touched, features_used, platform, first_event_id
)
select
  e.user_id,
  'id:' || e.session_id,
  e.session_id,
  (min(e.event_at) at time zone (select time_zone from ops.reporting_time_zone))::date,
  (max(e.event_at) at time zone (select time_zone from ops.reporting_time_zone))::date,
  min(e.event_at),
  max(e.event_at),
  extract(epoch from max(e.event_at) - min(e.event_at))::integer,
  count(*),
  count(distinct e.document_id),
  count(distinct e.feature_id),
  min(e.first_platform),
  min(e.first_event_id)
from (
  select user_id, session_id, event_at, event_date, document_id, feature_id,
    first_value(platform) over first_of_session as first_platform,
    first_value(event_id) over first_of_session as first_event_id
  from core.fact_events
  where session_id is not null and event_date in (select event_date from sessions_named_dates)
  window first_of_session as (partition by user_id, session_id order by event_at, event_id)
) as e
group by e.user_id, e.session_id
having bool_or(e.event_date = any(:dates::date[]))
  or (e.user_id, e.session_id) in (select r.user_id, r.session_id from sessions_replaced as r);

-- Without an id: a user's events in each stretch, numbered by the session they are in, where a gap
-- of more than 30 minutes starts one.
insert into core.fact_sessions (
  user_id, session_key, session_id, session_date, end_date, started_at, ended_at, duration_seconds,
  event_count, documents_touched, features_used, platform, first_event_id
)
with unnamed_events as (
  select e.user_id, e.event_id, e.event_at, e.document_id, e.feature_id, e.platform,
    lag(e.event_at) over (partition by e.user_id order by e.event_at, e.event_id) as previous_at
  from core.fact_events as e
  inner join sessions_stretches as t on t.user_id = e.user_id
  where e.session_id is null
    and e.event_date in (select event_date from sessions_stretch_dates)
    and e.event_at between t.stretch_start and t.stretch_end
),

numbered as (
  select *,
    count(*) filter (where previous_at is null or event_at - previous_at > interval '30 minutes')
      over (partition by user_id order by event_at, event_id) as session_number
  from unnamed_events
),

firsts as (
  select *,
    first_value(platform) over first_of_session as first_platform,
    first_value(event_id) over first_of_session as first_event_id
  from numbered
  window first_of_session as (partition by user_id, session_number order by event_at, event_id)
)

select
  user_id,
  'inactivity:' || min(first_event_id),
  null,
  (min(event_at) at time zone (select time_zone from ops.reporting_time_zone))::date,
  (max(event_at) at time zone (select time_zone from ops.reporting_time_zone))::date,
  min(event_at),
  max(event_at),
  extract(epoch from max(event_at) - min(event_at))::integer,
  count(*),
  count(distinct document_id),
  count(distinct feature_id),
  min(first_platform),
  min(first_event_id)
from firsts
group by user_id, session_number;
