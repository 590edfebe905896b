-- The signed-up persons with staged events on the dates given: each event's userId, or the person a
-- link takes its id to (staging.identity_links), never an anonymous person (docs/metrics.md,
-- section 14). core.fact_events attributes events by the same rule; the dimensions read staging
-- through this, so that an event set aside from staging leaves them too.
create or replace function staging.signed_up_persons(dates date[]) returns table (user_id text)
language sql stable as $$
  select distinct coalesce(l.person_id, e.user_id)
  from staging.events as e
  left join staging.identity_links as l on l.source_id = coalesce(e.user_id, e.anonymous_id)
  where e.event_date = any(dates)
    and (e.user_id is not null or l.person_id is not null)
$$;
