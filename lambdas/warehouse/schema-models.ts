export interface SchemaModelSpec {
  /** The file under sql/models without `.sql`, `<layer>/<object>`: it creates the object of that name. */
  readonly name: string;
  /** The models whose objects this one reads or calls; each comes earlier in SCHEMA_MODELS. */
  readonly dependsOn: readonly string[];
}

/**
 * The views, materialized views and functions of the warehouse, one file each in sql/models, in the
 * order the migrator applies them (lambdas/warehouse/migrate.ts). A model is applied again when its
 * file changes, and then so is every model that depends on it, after it: a model that has to drop its
 * object (`drop ... cascade`, for a change `create or replace` cannot make) takes its dependants with
 * it. After any new migration every model is applied again, since a migration may have had to drop a
 * view to change a table under it.
 *
 * PostgreSQL records what a view reads, and test/lambdas/warehouse/migrate.test.ts checks `dependsOn`
 * against that record; what a function's body calls it does not record, so those are kept by hand.
 */
export const SCHEMA_MODELS: readonly SchemaModelSpec[] = [
  // raw: the lines loading could not store as jsonb.
  { name: 'raw/invalid_lines', dependsOn: [] },

  // staging: the helpers the validation rules call, then the one view that holds the rules.
  { name: 'staging/try_timestamptz', dependsOn: [] },
  // Calls try_timestamptz when a batch is rerun with safe casts.
  { name: 'staging/parse_event_timestamp', dependsOn: ['staging/try_timestamptz'] },
  { name: 'staging/is_number_at_least', dependsOn: [] },
  { name: 'staging/json_number', dependsOn: [] },
  { name: 'staging/min_event_at', dependsOn: [] },
  { name: 'staging/signed_up_persons', dependsOn: [] },
  { name: 'staging/truncated_ip', dependsOn: [] },
  { name: 'staging/line_outcomes', dependsOn: [] },
  {
    name: 'staging/raw_events_checked',
    dependsOn: [
      'staging/parse_event_timestamp',
      'staging/is_number_at_least',
      'staging/json_number',
      'staging/min_event_at',
      'staging/truncated_ip',
    ],
  },

  // analytics: the materialized views in analytics_build, which each run refreshes and publishes.
  { name: 'analytics/daily_active_users', dependsOn: [] },
  { name: 'analytics/user_retention_cohorts', dependsOn: [] },
  { name: 'analytics/feature_adoption_funnel', dependsOn: [] },
  { name: 'analytics/churn_risk_scores', dependsOn: [] },
  { name: 'analytics/mrr_monthly', dependsOn: [] },
  { name: 'analytics/trial_to_paid', dependsOn: [] },
  { name: 'analytics/account_health', dependsOn: [] },
  { name: 'analytics/daily_active_accounts', dependsOn: [] },
  { name: 'analytics/account_retention_cohorts', dependsOn: [] },
  // The lifecycle's rules, once, for the weekly and the monthly view.
  { name: 'analytics/lifecycle_periods', dependsOn: [] },
  { name: 'analytics/user_lifecycle_weekly', dependsOn: ['analytics/lifecycle_periods'] },
  { name: 'analytics/user_lifecycle_monthly', dependsOn: ['analytics/lifecycle_periods'] },
  { name: 'analytics/user_retention_days', dependsOn: [] },
  { name: 'analytics/session_metrics', dependsOn: [] },
  { name: 'analytics/activation_funnel', dependsOn: [] },

  // ops: the pipeline's health for readers, and the functions that act with the owner's rights.
  { name: 'ops/layer_row_counts', dependsOn: [] },
  { name: 'ops/quarantine_by_reason', dependsOn: [] },
  { name: 'ops/unmapped_events_by_name', dependsOn: [] },
  { name: 'ops/rejected_files', dependsOn: [] },
  { name: 'ops/run_owner_alive', dependsOn: [] },
  { name: 'ops/analyze_table', dependsOn: [] },
  { name: 'ops/summarize_raw_events', dependsOn: [] },
  // Finds the views by name at call time: it depends on none of them, nor they on it.
  { name: 'ops/refresh_build_view', dependsOn: [] },
];
