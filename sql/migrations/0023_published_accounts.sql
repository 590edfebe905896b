-- The published copies of the account views (sql/models/analytics/account_health.sql,
-- daily_active_accounts.sql and account_retention_cohorts.sql), which readers see: the same columns,
-- replaced by the publish step after every check of the run passed.
create table analytics.account_health (
  account_id text collate "C" not null,
  is_personal boolean not null,
  account_name text,
  users integer not null,
  active_users_7d integer not null,
  active_users_30d integer not null,
  current_mrr numeric not null,
  currency text,
  current_plan_mix text,
  last_active_date date,
  days_since_last_activity integer not null,
  seat_utilization numeric not null,
  events_last_30_days bigint not null,
  events_prior_30_days bigint not null,
  account_health_score integer not null,
  account_health_category text not null,
  is_paying boolean not null,
  as_of_date date not null,
  primary key (account_id, is_personal)
);

create table analytics.daily_active_accounts (
  activity_date date primary key,
  daa integer not null,
  waa integer not null,
  maa integer not null,
  as_of_date date not null
);

create table analytics.account_retention_cohorts (
  cohort_month date not null,
  months_since_first_seen integer not null,
  activity_month date not null,
  cohort_size integer not null,
  retained_accounts integer not null,
  retention_rate numeric not null,
  is_complete_month boolean not null,
  as_of_date date not null,
  primary key (cohort_month, months_since_first_seen)
);
