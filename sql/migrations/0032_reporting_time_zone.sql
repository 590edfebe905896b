-- The reporting time zone (docs/metrics.md, "Days, weeks and months"): the IANA zone whose calendar
-- decides what a day, an ISO week and a month are for every date of the warehouse, event_date first.
-- One row, the warehouse's truth: the setting REPORTING_TIME_ZONE (the environment, --time-zone, or
-- the stack's context on AWS) is checked against it at the start of every run, and a warehouse that
-- holds events is never built in two zones: `saas-pipeline time-zone ZONE` changes it and rebuilds
-- everything (lambdas/warehouse/time-zone.ts).
--
-- The SQL reads it as an uncorrelated scalar subquery, `(select time_zone from ops.reporting_time_zone)`,
-- which PostgreSQL evaluates once per statement.
create table ops.reporting_time_zone (
  singleton boolean primary key default true check (singleton),
  time_zone text not null default 'UTC',
  set_at timestamptz not null default now()
);
insert into ops.reporting_time_zone default values;

grant select on ops.reporting_time_zone to saas_loader, saas_eraser, analytics_reader;
-- saas_transformer: select, insert, update, delete by the defaults of 0017; a run adopts the setting on
-- a warehouse with no events (the first run), and `time-zone` changes it.

-- What readers see says which zone its days are in: the zone of the run that published it.
alter table analytics.as_of add column time_zone text not null default 'UTC';
