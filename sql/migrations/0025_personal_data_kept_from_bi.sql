-- Personal data is kept from BI logins: analytics_reader reads the published users without their
-- email and full name, which stay where only the pipeline's roles read them (staging and core).
-- Column privileges, so that a query naming either column is refused, and so is `select *`: a BI
-- tool reads the columns it is granted. A column added to the table later is not readable by BI
-- until a migration grants it (test/lambdas/warehouse/roles.test.ts lists what BI may read).
revoke select on analytics.dim_users from analytics_reader;
grant select (
  user_id, version_number, valid_from, valid_to, is_current, plan, subscription_status, billing_cycle,
  company, country, signup_at, signup_date, signup_source
) on analytics.dim_users to analytics_reader;
