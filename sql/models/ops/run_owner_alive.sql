-- The run slot is the advisory lock (2026, 1201), which holdRunSlot (lambdas/warehouse/runs.ts)
-- takes. True while the session with this backend pid holds it.
create or replace function ops.run_owner_alive(owner_pid integer) returns boolean
language sql stable as $$
  select exists (
    select 1 from pg_catalog.pg_locks
    where locktype = 'advisory' and classid = 2026 and objid = 1201 and objsubid = 2
      and pid = owner_pid and granted)
$$;
