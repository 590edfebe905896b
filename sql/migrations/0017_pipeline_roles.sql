-- Least privilege: one role per job, none of which owns anything. The login that runs the migrations
-- owns every object (on AWS, pipeline_migrate; locally, whoever DATABASE_URL names). Logins are
-- granted one of these roles (provisionLogins in lambdas/warehouse/logins.ts on AWS):
--   saas_loader       loads files: the ledger and raw.events, and its own step records;
--   saas_transformer  stages, builds, checks and publishes: reads raw, writes staging, core,
--                     analytics_build, analytics and ops;
--   analytics_reader  BI logins and the dashboard: the published analytics and pipeline health, only.
-- Roles are cluster-wide: another database on the same server may have made them already.
do $$
declare
  role_name text;
begin
  foreach role_name in array array['saas_loader', 'saas_transformer'] loop
    begin
      execute format('create role %I nologin', role_name);
    exception
      when duplicate_object or unique_violation then null;
    end;
  end loop;
end
$$;

-- The owner may act as each role: the CLI runs each step as its role, as the Lambda functions do. A
-- superuser may already, and two migrations of databases on one server may grant at once.
do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    grant saas_loader, saas_transformer, analytics_reader to current_user;
  end if;
exception
  when unique_violation then null;
end
$$;

-- Nothing for anyone by default; each role below gets what its job needs.
revoke all on schema raw, staging, core, analytics, analytics_build, ops from public;

grant usage on schema raw, ops to saas_loader;
grant select, insert, update on raw.files to saas_loader;
grant insert on raw.events to saas_loader;
grant select, insert, update on ops.run_steps to saas_loader;
grant select on ops.schema_migrations to saas_loader;

grant usage on schema raw, staging, core, analytics, analytics_build, ops to saas_transformer;
grant select on all tables in schema raw to saas_transformer;
grant update on raw.files to saas_transformer;
grant select, insert, update, delete on all tables in schema staging, core, analytics, ops to saas_transformer;
revoke insert, update, delete on ops.schema_migrations from saas_transformer;
grant select on all tables in schema analytics_build to saas_transformer;
grant execute on function ops.analyze_table(regclass), ops.summarize_raw_events(),
  ops.refresh_build_view(text) to saas_transformer;
alter default privileges in schema staging, core, analytics, ops
  grant select, insert, update, delete on tables to saas_transformer;
alter default privileges in schema raw, analytics_build grant select on tables to saas_transformer;

-- Readers: the published analytics, and the pipeline's health as runs, steps, checks and counts.
revoke all on all tables in schema core, analytics_build from analytics_reader;
revoke select on ops.analytics_as_of from analytics_reader;
alter default privileges in schema core revoke select on tables from analytics_reader;
revoke usage on schema core from analytics_reader;
grant usage on schema analytics, ops to analytics_reader;
grant select on all tables in schema analytics to analytics_reader;

-- Rejected files for the health panel: which, why and when; never their content.
create view ops.rejected_files as
select object_key, reject_reason, left(error, 300) as detail, rejected_at, size_bytes
from raw.files
where status = 'rejected';

create or replace view ops.layer_row_counts as
with ledger as (
  select
    count(*) filter (where status in ('loaded', 'staged')) as files_loaded,
    coalesce(sum(line_count) filter (where status in ('loaded', 'staged')), 0) as lines_loaded,
    coalesce(sum(staged_rows), 0) as staged_rows,
    coalesce(sum(quarantined_rows), 0) as quarantined_rows,
    coalesce(sum(duplicate_rows), 0) as duplicate_rows,
    count(*) filter (where status = 'loaded') as files_waiting,
    count(*) filter (where status = 'rejected') as files_rejected
  from raw.files
),

-- count(*) on the core tables reads about 0.1 s for 1.8M events: cheap next to a page view.
core_counts as (
  select
    (select count(*) from core.fact_events) as fact_events,
    (select count(*) from core.fact_daily_user_activity) as fact_daily_user_activity,
    (select count(*) from core.dim_users where is_current) as dim_users
)

select position, layer, table_name, row_count::bigint as row_count
from ledger
cross join core_counts
cross join lateral (
  values
    (1, 'raw', 'raw.files (received)', files_loaded),
    (2, 'raw', 'raw.files (waiting for staging)', files_waiting),
    (3, 'raw', 'raw lines', lines_loaded),
    (4, 'staging', 'staging.events', staged_rows),
    (5, 'staging', 'staging.quarantine', quarantined_rows),
    (6, 'staging', 'staging.duplicates', duplicate_rows),
    (7, 'core', 'core.fact_events', fact_events),
    (8, 'core', 'core.fact_daily_user_activity', fact_daily_user_activity),
    (9, 'core', 'core.dim_users (current)', dim_users),
    (10, 'raw', 'raw.files (rejected)', files_rejected)
) as counts (position, layer, table_name, row_count);

grant select on ops.runs, ops.run_steps, ops.quality_results, ops.layer_row_counts,
  ops.quarantine_by_reason, ops.rejected_files to analytics_reader;
