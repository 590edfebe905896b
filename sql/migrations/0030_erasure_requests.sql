-- Erasure on AWS (README, "Erasure"): a request file dropped under erasure-requests/ in the landing
-- bucket is carried out by the next run's first step (lambdas/handlers/erase-requested.ts), with a
-- login of its own: saas_eraser, the one role that may delete from raw. The CLI's `forget` takes the
-- same role for its transaction (lambdas/warehouse/erasure.ts), so every erasure runs with these
-- grants and no more.
do $$
begin
  create role saas_eraser nologin;
exception
  when duplicate_object or unique_violation then null;
end
$$;

do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    grant saas_eraser to current_user;
  end if;
exception
  when unique_violation then null;
end
$$;

-- Each request file the step has handled, by key and ETag: carried out (with its erasure), or
-- rejected with a reason and left in the bucket for the operator, and not tried again until it
-- changes. The key is the operator's choice of name: the README asks for one that names no one.
create table ops.erasure_requests (
  object_key text not null,
  etag text not null,
  status text not null check (status in ('erased', 'rejected')),
  reason text,
  erasure_id bigint references ops.erasures,
  handled_at timestamptz not null default now(),
  primary key (object_key, etag),
  check ((status = 'erased') = (erasure_id is not null)),
  check ((status = 'rejected') = (reason is not null))
);

-- The person's rows, in every layer: read to find them, deleted. Named table by table, as
-- sql/steps/erasure/forget_person.sql deletes from them: a table added later gets its grant with the
-- migration that adds it, and the erasure test (which searches every table) fails until it does.
grant usage on schema raw, staging, core, analytics, ops to saas_eraser;
grant select, delete on raw.events to saas_eraser;
grant select, update (line_count, row_count, invalid_line_count, forgotten_lines, staged_rows,
  quarantined_rows, duplicate_rows, unmapped_rows, identity_rows) on raw.files to saas_eraser;
grant select, delete on staging.events, staging.quarantine, staging.duplicates, staging.unmapped_events,
  staging.identity_messages, staging.identity_links to saas_eraser;
grant select, delete on core.fact_events, core.fact_daily_user_activity, core.fact_daily_user_features,
  core.dim_users, core.dim_user_accounts, core.fact_subscription_changes, core.fact_customer_mrr_monthly,
  core.dim_documents to saas_eraser;
grant select, delete on analytics.fact_daily_user_activity, analytics.fact_daily_user_features,
  analytics.dim_users, analytics.dim_documents, analytics.churn_risk_scores to saas_eraser;

-- What is rebuilt without the person, the samples of failed checks, the audit and the tombstones.
grant select, insert, update on ops.pending_dates to saas_eraser;
grant select, update (sample) on ops.quality_results to saas_eraser;
grant select on ops.erasure_salt to saas_eraser;
grant select, insert on ops.erasures, ops.erased_ids, ops.erasure_requests to saas_eraser;
-- Its step's record in a run.
grant select, insert, update on ops.run_steps to saas_eraser;
grant select on ops.runs, ops.schema_migrations to saas_eraser;

revoke all on ops.erasure_requests from analytics_reader, saas_transformer, saas_loader;
