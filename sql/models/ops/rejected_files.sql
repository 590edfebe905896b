-- Rejected files for the health panel: which, why and when; never their content.
create or replace view ops.rejected_files as
select object_key, reject_reason, left(error, 300) as detail, rejected_at, size_bytes
from raw.files
where status = 'rejected';

grant select on ops.rejected_files to analytics_reader;
-- The transformer reads it, as it reads every relation in ops. Only reads: a view can be written
-- through, with its owner's rights on raw.files, and the transformer may not change the ledger's
-- rejected rows (migration 0017 granted it writes here, as on the rest of ops; they are taken back).
grant select on ops.rejected_files to saas_transformer;
revoke insert, update, delete, truncate on ops.rejected_files from saas_transformer;
