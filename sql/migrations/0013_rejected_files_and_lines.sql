-- Nothing a producer sends can stop loading. A file that can never load is rejected, with a reason,
-- and not tried again until its content changes or a user releases it; a file whose loads keep failing
-- for passing reasons is rejected after a few runs. A line that jsonb cannot store is kept in
-- raw.events too, without a payload, so that the loader streams bad lines with the good ones instead
-- of holding them in memory.

alter table raw.files drop constraint files_status_check;
alter table raw.files add constraint files_status_check
  check (status in ('loading', 'loaded', 'staged', 'failed', 'rejected'));

alter table raw.files
  add column reject_reason text,
  add column rejected_at timestamptz,
  add column failed_runs integer not null default 0,   -- runs in which loading failed for a passing reason
  add column last_run_id text,                          -- the run that last tried to load the file
  add column inflated_bytes bigint;

alter table raw.files add constraint files_reject_reason_check
  check (
    (status = 'rejected') = (reject_reason is not null)
    and reject_reason in (
      'truncated_gzip', 'corrupt_gzip', 'not_text', 'file_too_large', 'compression_ratio_too_high',
      'too_many_lines', 'rejected_by_database', 'too_many_failures')
  );
create index files_rejected_idx on raw.files (rejected_at) where status = 'rejected';

-- A line without a payload holds its text (a prefix, if too long), why jsonb could not take it, and
-- the parser's message. NOT VALID: the rows already here all have a payload; new rows are checked.
alter table raw.events alter column payload drop not null;
alter table raw.events
  add column line text,
  add column line_reason text,
  add column line_error text;
alter table raw.events add constraint events_payload_or_reason
  check ((payload is null) = (line_reason is not null)) not valid;

insert into raw.events (file_id, line_number, payload, line, line_reason, line_error, loaded_at)
select file_id, line_number, null, line, 'invalid_json', error, loaded_at
from raw.invalid_lines;
drop table raw.invalid_lines;

create view raw.invalid_lines as
select file_id, line_number, line, line_reason as reason, line_error as error, loaded_at
from raw.events
where payload is null;
