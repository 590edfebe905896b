-- A failed check's sample holds rows of the layers it checked (emails, names, lines): BI reads the
-- results of the checks, never their samples. Column privileges, as for analytics.dim_users (0025).
revoke select on ops.quality_results from analytics_reader;
grant select (run_id, check_name, severity, passed, failing_rows, description, checked_at)
  on ops.quality_results to analytics_reader;
