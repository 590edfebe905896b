-- Resolves who each linked id is, from every identify and alias call staged (docs/metrics.md,
-- section 14), and marks pending the dates whose events change person. Run when a staging batch
-- closes (after stg_files.sql) and after a reprocess, under the staging lock.
-- - An identify with a userId and an anonymousId links the anonymousId to the userId; an alias links
--   its previousId to its userId.
-- - An id keeps its first link, by message time, then messageId: a later call that links it to
--   someone else changes nothing. So the result is the same in any arrival order.
-- - Links chain: an id goes to where its link's target goes, until an id with no link of its own
--   (16 steps at most; a cycle stops before it closes).

create temp table resolved_links on commit drop as
with recursive candidates as (
  select anonymous_id as source_id, user_id as target_id, message_at, message_id
  from staging.identity_messages
  where message_type = 'identify' and anonymous_id is not null and user_id is not null and anonymous_id <> user_id
  union all
  select previous_id, user_id, message_at, message_id
  from staging.identity_messages
  where message_type = 'alias' and previous_id <> user_id
),

first_links as (
  select distinct on (source_id) source_id, target_id, message_at, message_id
  from candidates
  order by source_id, message_at, message_id
),

walk (source_id, person_id, message_id, linked_at, depth, path) as (
  select source_id, target_id, message_id, message_at, 1, array[source_id, target_id]
  from first_links
  union all
  select w.source_id, l.target_id, w.message_id, w.linked_at, w.depth + 1, w.path || l.target_id
  from walk as w
  inner join first_links as l on l.source_id = w.person_id
  where w.depth < 16 and l.target_id <> all(w.path)
)

select distinct on (source_id) source_id, person_id, message_id, linked_at
from walk
order by source_id, depth desc;

-- The ids whose person is new or other than before.
create temp table changed_links on commit drop as
select coalesce(n.source_id, o.source_id) as source_id
from resolved_links as n
full join staging.identity_links as o on o.source_id = n.source_id
where n.person_id is distinct from o.person_id;

-- Their events move: those of an anonymous id without a userId (an index finds them), and, where an
-- alias re-points a userId, that user's events (a scan of staging, only when there is such an alias).
insert into ops.pending_dates (event_date)
select distinct event_date
from (
  select e.event_date
  from staging.events as e
  where e.user_id is null and e.anonymous_id in (select source_id from changed_links)
  union all
  select e.event_date
  from staging.events as e
  where exists (
      select 1 from changed_links as c
      inner join staging.identity_messages as i on i.message_type = 'alias' and i.previous_id = c.source_id
    )
    and e.user_id in (select source_id from changed_links)
) as moved
order by event_date
on conflict (event_date) do update set marked_at = excluded.marked_at;

delete from staging.identity_links where source_id in (select source_id from changed_links);
insert into staging.identity_links (source_id, person_id, message_id, linked_at)
select r.source_id, r.person_id, r.message_id, r.linked_at
from resolved_links as r
where r.source_id in (select source_id from changed_links);
