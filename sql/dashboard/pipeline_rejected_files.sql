-- The files the pipeline rejected (they cannot load until replaced or released), newest first: which,
-- why and when, never their content. ops.layer_row_counts counts them all.
select object_key, reject_reason, detail, rejected_at
from ops.rejected_files
order by rejected_at desc nulls last, object_key
limit :limit
