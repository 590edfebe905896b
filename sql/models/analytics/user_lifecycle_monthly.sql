-- The lifecycle of signed-up users per month, as of A: new, returning, resurrecting and
-- dormant users (docs/metrics.md, section 16; analytics/lifecycle_periods says how).
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view).
drop materialized view if exists analytics_build.user_lifecycle_monthly;
create materialized view analytics_build.user_lifecycle_monthly as
select * from analytics_build.lifecycle_periods('month')
with no data;

create unique index user_lifecycle_monthly_pk on analytics_build.user_lifecycle_monthly (period_start, status);

grant select on analytics_build.user_lifecycle_monthly to saas_transformer;
