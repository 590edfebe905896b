-- Only a table's owner may ANALYZE it, and the pipeline's roles own nothing. This runs with the
-- owner's rights, for the pipeline's own tables only. strict: a null target would otherwise analyze
-- the whole database.
create or replace function ops.analyze_table(target regclass) returns void
language plpgsql strict security definer set search_path = pg_catalog, pg_temp as $$
begin
  if (select n.nspname from pg_class as c inner join pg_namespace as n on n.oid = c.relnamespace
      where c.oid = target) not in ('raw', 'staging', 'core', 'analytics_build') then
    raise exception 'ops.analyze_table: % is not a pipeline table', target;
  end if;
  execute format('analyze %s', target);
end
$$;

revoke all on function ops.analyze_table(regclass) from public;
grant execute on function ops.analyze_table(regclass) to saas_transformer;
