-- Only the owner may refresh a materialized view; the pipeline's roles own nothing. With the owner's
-- rights, for the views in analytics_build only. Nobody reads them while they refresh, so the
-- refresh need not be CONCURRENTLY.
create or replace function ops.refresh_build_view(view_name text) returns void
language plpgsql strict security definer set search_path = pg_catalog, pg_temp as $$
begin
  if not exists (select 1 from pg_matviews where schemaname = 'analytics_build' and matviewname = view_name) then
    raise exception 'ops.refresh_build_view: analytics_build.% is no materialized view', view_name;
  end if;
  execute format('refresh materialized view analytics_build.%I', view_name);
end
$$;

revoke all on function ops.refresh_build_view(text) from public;
grant execute on function ops.refresh_build_view(text) to saas_transformer;
