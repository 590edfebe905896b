-- The earliest event instant staging accepts: the session's saas_pipeline.min_event_at, else 2000-01-01.
create or replace function staging.min_event_at() returns timestamptz
language sql stable parallel safe as $$
  select coalesce(nullif(current_setting('saas_pipeline.min_event_at', true), '')::timestamptz,
                  timestamptz '2000-01-01 00:00:00+00')
$$;
