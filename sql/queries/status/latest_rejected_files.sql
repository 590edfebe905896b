-- The ten files rejected last: which, why, when, and the start of the detail.
select
  object_key as key,
  reject_reason as reason,
  rejected_at,
  left(detail, 80) as detail
from ops.rejected_files
order by rejected_at desc
limit 10
