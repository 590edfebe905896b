-- A timestamptz cast that returns null where the cast would fail. staging.parse_event_timestamp casts
-- directly, and a well-shaped but impossible value (2024-02-30) then fails the statement: the staging
-- step reruns its batch with `saas_pipeline.safe_casts = on`, and parse_event_timestamp calls this
-- instead, which catches that error per row. The result is the same either way; only the common case
-- skips the per-row exception block. The exception block opens a subtransaction, which no process can
-- start while a parallel query runs: both functions are parallel unsafe, and queries that use them run
-- without parallel workers (staging shards instead).
create or replace function staging.try_timestamptz(value text) returns timestamptz
language plpgsql stable parallel unsafe as $$
begin
  return value::timestamptz;
exception
  when data_exception then return null;
end
$$;
