-- The published copies of the engagement views (sql/models/analytics/user_lifecycle_weekly.sql,
-- user_lifecycle_monthly.sql and user_retention_days.sql; docs/metrics.md, section 16), which readers
-- see: the same columns, replaced by the publish step after every check of the run passed.
create table analytics.user_lifecycle_weekly (
  period_start date not null,
  period_end date not null,
  status text not null check (status in ('new', 'returning', 'resurrecting', 'dormant')),
  users integer not null,
  is_complete boolean not null,
  as_of_date date not null,
  primary key (period_start, status)
);

create table analytics.user_lifecycle_monthly (like analytics.user_lifecycle_weekly including all);

create table analytics.user_retention_days (
  cohort_week date not null,
  n integer not null,
  cohort_size integer not null,
  retained_on_day integer not null,
  retained_on_or_after integer not null,
  retained_on_day_rate numeric not null,
  retained_on_or_after_rate numeric not null,
  is_mature boolean not null,
  as_of_date date not null,
  primary key (cohort_week, n)
);
