-- Publishes what run :run_id built and checked: the analytics views as a whole, and the star schema
-- for the dates :dates it rebuilt (with the users and documents those dates touched, as the core
-- models chose them). The statements run in one transaction, after every check passed: readers see
-- the previous publication or this one, never a mix, and never anything unchecked.

delete from analytics.daily_active_users;
insert into analytics.daily_active_users select * from analytics_build.daily_active_users;

delete from analytics.user_retention_cohorts;
insert into analytics.user_retention_cohorts select * from analytics_build.user_retention_cohorts;

delete from analytics.feature_adoption_funnel;
insert into analytics.feature_adoption_funnel select * from analytics_build.feature_adoption_funnel;

delete from analytics.churn_risk_scores;
insert into analytics.churn_risk_scores select * from analytics_build.churn_risk_scores;

delete from analytics.mrr_monthly;
insert into analytics.mrr_monthly select * from analytics_build.mrr_monthly;

delete from analytics.trial_to_paid;
insert into analytics.trial_to_paid select * from analytics_build.trial_to_paid;

delete from analytics.account_health;
insert into analytics.account_health select * from analytics_build.account_health;

delete from analytics.daily_active_accounts;
insert into analytics.daily_active_accounts select * from analytics_build.daily_active_accounts;

delete from analytics.account_retention_cohorts;
insert into analytics.account_retention_cohorts select * from analytics_build.account_retention_cohorts;

delete from analytics.user_lifecycle_weekly;
insert into analytics.user_lifecycle_weekly select * from analytics_build.user_lifecycle_weekly;

delete from analytics.user_lifecycle_monthly;
insert into analytics.user_lifecycle_monthly select * from analytics_build.user_lifecycle_monthly;

delete from analytics.user_retention_days;
insert into analytics.user_retention_days select * from analytics_build.user_retention_days;

delete from analytics.session_metrics;
insert into analytics.session_metrics select * from analytics_build.session_metrics;

delete from analytics.activation_funnel;
insert into analytics.activation_funnel select * from analytics_build.activation_funnel;

delete from analytics.fact_daily_user_activity where activity_date = any(:dates::date[]);
insert into analytics.fact_daily_user_activity
select * from core.fact_daily_user_activity where activity_date = any(:dates::date[]);

delete from analytics.fact_daily_user_features where activity_date = any(:dates::date[]);
insert into analytics.fact_daily_user_features
select * from core.fact_daily_user_features where activity_date = any(:dates::date[]);

-- The persons the core rebuilt (core.dim_users' touched users), and the ids a link took away.
create temp table publish_touched_users on commit drop as
select user_id from staging.signed_up_persons(:dates::date[]);

delete from analytics.dim_users
where user_id in (select user_id from publish_touched_users)
   or user_id in (select source_id from staging.identity_links);
insert into analytics.dim_users
select * from core.dim_users where user_id in (select user_id from publish_touched_users);

create temp table publish_touched_documents on commit drop as
select distinct document_id from staging.events
where event_date = any(:dates::date[]) and document_id is not null;

delete from analytics.dim_documents where document_id in (select document_id from publish_touched_documents);
insert into analytics.dim_documents
select * from core.dim_documents where document_id in (select document_id from publish_touched_documents);

-- Both are small: the catalogue, and one row a day.
delete from analytics.dim_features;
insert into analytics.dim_features select * from core.dim_features;

insert into analytics.dim_date
select * from core.dim_date as d
where not exists (select 1 from analytics.dim_date as p where p.calendar_date = d.calendar_date);

insert into analytics.as_of (as_of_date, run_id, time_zone)
select as_of_date, :run_id::text, (select time_zone from ops.reporting_time_zone) from ops.analytics_as_of
on conflict (singleton) do update
  set as_of_date = excluded.as_of_date, run_id = excluded.run_id, time_zone = excluded.time_zone,
    published_at = now();
