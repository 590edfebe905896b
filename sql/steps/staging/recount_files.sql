-- Counts again, from the tables themselves (staging.line_outcomes), where every line of the files
-- :file_ids went: after a reprocess or an erasure has taken some of their lines apart, the ledger's
-- counts (raw.files) agree with the tables by construction, as the quality gate's reconciliation
-- checks. Reads staging.events once; the other tables by their (file_id, line_number) keys.
update raw.files as f
set staged_rows = c.staged,
    quarantined_rows = c.quarantined,
    duplicate_rows = c.duplicates,
    unmapped_rows = c.unmapped,
    identity_rows = c.identities
from (
  select ids.file_id,
    count(*) filter (where o.outcome = 'staged') as staged,
    count(*) filter (where o.outcome = 'quarantined') as quarantined,
    count(*) filter (where o.outcome = 'duplicate') as duplicates,
    count(*) filter (where o.outcome = 'unmapped') as unmapped,
    count(*) filter (where o.outcome = 'identity') as identities
  from unnest(:file_ids::bigint[]) as ids (file_id)
  left join staging.line_outcomes as o on o.file_id = ids.file_id
  group by ids.file_id
) as c
where f.file_id = c.file_id;
