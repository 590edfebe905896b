-- BI tools read the star schema and the analytics views, and the runs and quality results for a
-- pipeline-health dashboard; never raw or staging.
grant usage on schema core, analytics, ops to analytics_reader;
grant select on all tables in schema core to analytics_reader;
grant select on all tables in schema analytics to analytics_reader;
grant select on ops.runs, ops.run_steps, ops.quality_results, ops.analytics_as_of to analytics_reader;
alter default privileges in schema core grant select on tables to analytics_reader;
alter default privileges in schema analytics grant select on tables to analytics_reader;
