-- The published copies of the revenue views (sql/models/analytics/mrr_monthly.sql and
-- trial_to_paid.sql), which readers see: the same columns, replaced by the publish step after every
-- check of the run passed. The views themselves are models, made after the migrations, so the columns
-- are spelled out here; a test compares the two.
create table analytics.mrr_monthly (
  month date not null,
  currency text not null,
  starting_mrr numeric not null,
  new_mrr numeric not null,
  reactivation_mrr numeric not null,
  expansion_mrr numeric not null,
  contraction_mrr numeric not null,
  churn_mrr numeric not null,
  ending_mrr numeric not null,
  new_customers integer not null,
  reactivated_customers integer not null,
  expanded_customers integer not null,
  contracted_customers integer not null,
  churned_customers integer not null,
  paying_customers integer not null,
  arppc numeric,
  logo_churn_rate numeric,
  gross_revenue_retention numeric,
  net_revenue_retention numeric,
  is_complete boolean not null,
  as_of_date date not null,
  primary key (month, currency)
);

create table analytics.trial_to_paid (
  cohort_month date primary key,
  cohort_size integer not null,
  converted_14d integer not null,
  converted_30d integer not null,
  converted_by_as_of integer not null,
  median_days_to_convert numeric,
  conversion_rate_14d numeric not null,
  conversion_rate_30d numeric not null,
  conversion_rate_by_as_of numeric not null,
  is_mature boolean not null,
  as_of_date date not null
);
