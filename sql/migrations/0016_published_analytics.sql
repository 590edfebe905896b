-- Readers (BI logins, the dashboard) see only figures that passed the quality gate. The pipeline
-- builds in places readers cannot see: core, and the analytics views, which move to analytics_build.
-- The analytics schema becomes what readers get: tables with the same names and columns, changed only
-- by the publish step (sql/models/analytics/publish.sql), in one transaction, after every check of
-- the run passed. With them, the star schema at daily grain, and the as-of date of what is shown.
-- A failed check or refresh leaves all of it exactly as it was.

create schema if not exists analytics_build;

alter materialized view analytics.daily_active_users set schema analytics_build;
alter materialized view analytics.user_retention_cohorts set schema analytics_build;
alter materialized view analytics.feature_adoption_funnel set schema analytics_build;
alter materialized view analytics.churn_risk_scores set schema analytics_build;

create table analytics.daily_active_users as
select * from analytics_build.daily_active_users with no data;
alter table analytics.daily_active_users add primary key (activity_date);

create table analytics.user_retention_cohorts as
select * from analytics_build.user_retention_cohorts with no data;
alter table analytics.user_retention_cohorts add primary key (cohort_month, months_since_signup);

create table analytics.feature_adoption_funnel as
select * from analytics_build.feature_adoption_funnel with no data;
alter table analytics.feature_adoption_funnel add primary key (feature_id);

create table analytics.churn_risk_scores as
select * from analytics_build.churn_risk_scores with no data;
alter table analytics.churn_risk_scores add primary key (user_id);

-- The star schema, for BI, at daily grain. Event-grain facts (core.fact_events) stay with the
-- pipeline: a published copy would double the largest table for queries the daily grain answers.
create table analytics.dim_date (like core.dim_date including all);
create table analytics.dim_features (like core.dim_features including all);
create table analytics.dim_users (like core.dim_users including all);
create table analytics.dim_documents (like core.dim_documents including all);
create table analytics.fact_daily_user_activity (like core.fact_daily_user_activity including all);
create table analytics.fact_daily_user_features (like core.fact_daily_user_features including all);

-- What readers see is as of this date, published by this run.
create table analytics.as_of (
  singleton boolean primary key default true check (singleton),
  as_of_date date not null,
  run_id text not null,
  published_at timestamptz not null default now()
);

-- An existing warehouse keeps showing what it showed until its next run passes.
insert into analytics.daily_active_users select * from analytics_build.daily_active_users;
insert into analytics.user_retention_cohorts select * from analytics_build.user_retention_cohorts;
insert into analytics.feature_adoption_funnel select * from analytics_build.feature_adoption_funnel;
insert into analytics.churn_risk_scores select * from analytics_build.churn_risk_scores;
insert into analytics.dim_date select * from core.dim_date;
insert into analytics.dim_features select * from core.dim_features;
insert into analytics.dim_users select * from core.dim_users;
insert into analytics.dim_documents select * from core.dim_documents;
insert into analytics.fact_daily_user_activity select * from core.fact_daily_user_activity;
insert into analytics.fact_daily_user_features select * from core.fact_daily_user_features;
insert into analytics.as_of (as_of_date, run_id)
select as_of_date, coalesce(run_id, 'before-publication') from ops.analytics_as_of;

-- Only the owner may refresh a materialized view; the pipeline's roles own nothing. With the owner's
-- rights, for the views in analytics_build only. Nobody reads them while they refresh, so the
-- refresh need not be CONCURRENTLY.
create function ops.refresh_build_view(view_name text) returns void
language plpgsql strict security definer set search_path = pg_catalog, pg_temp as $$
begin
  if not exists (select 1 from pg_matviews where schemaname = 'analytics_build' and matviewname = view_name) then
    raise exception 'ops.refresh_build_view: analytics_build.% is no materialized view', view_name;
  end if;
  execute format('refresh materialized view analytics_build.%I', view_name);
end
$$;
revoke all on function ops.refresh_build_view(text) from public;
