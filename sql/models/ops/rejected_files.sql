-- Rejected files for the health panel: which, why and when; never their content.
create or replace view ops.rejected_files as
select object_key, reject_reason, left(error, 300) as detail, rejected_at, size_bytes
from raw.files
where status = 'rejected';

grant select on ops.rejected_files to analytics_reader;
-- As every relation in ops (sql/migrations/0017). This view can be written through, with its owner's
-- rights on raw.files: the transformer may delete rejected ledger rows here that it may not delete in
-- raw.files. Kept as it was granted; narrowing it to select is a change of privileges of its own.
grant select, insert, update, delete on ops.rejected_files to saas_transformer;
