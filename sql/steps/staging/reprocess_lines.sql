-- Takes apart staging for the dates :from_date to :to_date, so that the staging step re-derives it from
-- what raw holds (lambdas/warehouse/reprocess.ts runs this, then stg_events.sql with :listed_only, in
-- one transaction). The lines taken apart are listed in staging.reprocess_lines:
-- - staged events of those dates, and every duplicate of their ids (all copies are routed again, so
--   the first copy in load order is kept, as before);
-- - unmapped calls of those dates, and identify, alias and group calls, with their duplicates;
-- - quarantined lines whose time (the contract's event_timestamp, else Segment's timestamp,
--   originalTimestamp, receivedAt) falls in those dates. Lines without a payload (not JSON, too long)
--   and rows the database itself refused (rejected_by_database) stay as they are: no mapping changes them.
-- The dates that had events are marked pending here, as stg_events.sql marks the dates that gain them:
-- the core then rebuilds exactly these dates, and no other.

with events_in_range as (
  select event_id, file_id, line_number
  from staging.events
  where event_date between :from_date::date and :to_date::date
),

identities_in_range as (
  select message_id, file_id, line_number
  from staging.identity_messages
  where (message_at at time zone (select time_zone from ops.reporting_time_zone))::date between :from_date::date and :to_date::date
),

quarantined_in_range as (
  select q.file_id, q.line_number
  from staging.quarantine as q
  cross join lateral (
    select coalesce(q.payload ->> 'event_timestamp', q.payload ->> 'timestamp',
                    q.payload ->> 'originalTimestamp', q.payload ->> 'receivedAt') as event_timestamp
  ) as t
  where q.payload is not null
    and jsonb_typeof(q.payload) = 'object'
    and q.reason <> 'rejected_by_database'
    and t.event_timestamp like '____-__-__%'
    and (staging.try_timestamptz(t.event_timestamp) at time zone (select time_zone from ops.reporting_time_zone))::date
      between :from_date::date and :to_date::date
)

insert into staging.reprocess_lines (file_id, line_number)
select file_id, line_number from events_in_range
union
select d.file_id, d.line_number
from staging.duplicates as d
where d.event_id in (select event_id from events_in_range)
   or d.event_id in (select message_id from identities_in_range)
union
select file_id, line_number from identities_in_range
union
select file_id, line_number
from staging.unmapped_events
where event_date between :from_date::date and :to_date::date
union
select file_id, line_number from quarantined_in_range
on conflict do nothing;

-- Where the lines went before, for the command's report (reprocess.ts counts where they go now).
create temp table reprocess_before on commit drop as
select o.outcome, count(*) as lines
from staging.reprocess_lines as r
inner join staging.line_outcomes as o on o.file_id = r.file_id and o.line_number = r.line_number
group by o.outcome;

insert into ops.pending_dates (event_date)
select distinct event_date
from staging.events
where event_date between :from_date::date and :to_date::date
order by event_date
on conflict (event_date) do update set marked_at = excluded.marked_at;

delete from staging.events as s
using staging.reprocess_lines as r
where s.file_id = r.file_id and s.line_number = r.line_number
  and s.event_date between :from_date::date and :to_date::date;

delete from staging.quarantine as q
using staging.reprocess_lines as r
where q.file_id = r.file_id and q.line_number = r.line_number;

delete from staging.duplicates as d
using staging.reprocess_lines as r
where d.file_id = r.file_id and d.line_number = r.line_number;

delete from staging.unmapped_events as u
using staging.reprocess_lines as r
where u.file_id = r.file_id and u.line_number = r.line_number;

delete from staging.identity_messages as i
using staging.reprocess_lines as r
where i.file_id = r.file_id and i.line_number = r.line_number;
