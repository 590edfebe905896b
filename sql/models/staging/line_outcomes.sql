-- Where each staged raw line went: every line of a staged file is in exactly one of the five tables
-- (docs/metrics.md, section 7). Reprocess and erasure count the lines they take apart by outcome
-- through this, for the ledger's counts (raw.files).
create or replace view staging.line_outcomes as
select file_id, line_number, 'staged'::text as outcome from staging.events
union all
select file_id, line_number, 'quarantined' from staging.quarantine
union all
select file_id, line_number, 'duplicate' from staging.duplicates
union all
select file_id, line_number, 'unmapped' from staging.unmapped_events
union all
select file_id, line_number, 'identity' from staging.identity_messages;

-- As every relation in staging (sql/migrations/0017); the view cannot be written through.
grant select, insert, update, delete on staging.line_outcomes to saas_transformer;
-- The erasure recounts its files from it (sql/steps/staging/recount_files.sql).
grant select on staging.line_outcomes to saas_eraser;
