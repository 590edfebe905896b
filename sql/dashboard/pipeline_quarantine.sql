-- Quarantined lines by reason, most frequent first.
select reason, row_count, file_count
from ops.quarantine_by_reason
order by row_count desc, reason
