-- A run whose owner is gone must not block the next one. A run started on a laptop or a server is
-- owned by a database session that holds the run slot (an advisory lock) for as long as the run lives:
-- when the process dies, so does the session and its lock, and the next run marks the run
-- abandoned at once. A run started by Step Functions records its execution's start time instead, so
-- that a retried start is recognised and a re-used execution name is refused.

alter table ops.runs drop constraint runs_status_check;
alter table ops.runs add constraint runs_status_check
  check (status in ('running', 'succeeded', 'failed', 'abandoned'));
alter table ops.runs
  add column owner_pid integer,                   -- the backend holding the run slot; null in AWS
  add column execution_started_at timestamptz;    -- $$.Execution.StartTime, in AWS

-- The run slot is the advisory lock (2026, 1201), which holdRunSlot (lambdas/warehouse/runs.ts)
-- takes. True while the session with this backend pid holds it.
create function ops.run_owner_alive(owner_pid integer) returns boolean
language sql stable as $$
  select exists (
    select 1 from pg_catalog.pg_locks
    where locktype = 'advisory' and classid = 2026 and objid = 1201 and objsubid = 2
      and pid = owner_pid and granted)
$$;

-- The run that staged a batch: the quality gate checks the files of the batches its run finished.
alter table ops.staging_batches add column run_id text;
create index staging_batches_run_idx on ops.staging_batches (run_id);

-- Only a table's owner may ANALYZE it or summarize its BRIN index, and the pipeline's roles own
-- nothing. These run with the owner's rights, for the pipeline's own tables only.
-- strict: a null target would otherwise analyze the whole database.
create function ops.analyze_table(target regclass) returns void
language plpgsql strict security definer set search_path = pg_catalog, pg_temp as $$
begin
  if (select n.nspname from pg_class as c inner join pg_namespace as n on n.oid = c.relnamespace
      where c.oid = target) not in ('raw', 'staging', 'core', 'analytics_build') then
    raise exception 'ops.analyze_table: % is not a pipeline table', target;
  end if;
  execute format('analyze %s', target);
end
$$;

create function ops.summarize_raw_events() returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  perform brin_summarize_new_values('raw.events_file_id_brin'::regclass);
end
$$;

revoke all on function ops.analyze_table(regclass), ops.summarize_raw_events() from public;
