-- Stages one shard of a batch of raw files: the rows of the files :file_ids whose event_hash falls in
-- shard :shard of :shard_count. Every raw line ends up in exactly one of staging.events,
-- staging.quarantine or staging.duplicates. staging.raw_events_checked holds the rules; this file only
-- routes rows. Marks the dates that gained events as pending and records the shard as done. The
-- statements run in one transaction; stg_files.sql then closes the batch.
--
-- :min_line and :max_line narrow the rows to a range of line numbers: the staging step uses them to
-- find the rows that make a statement fail (see isolateFailingRows), and passes 0 and 2147483647
-- otherwise. With :skip_quarantined, rows quarantined already (the ones found that way) are left out.
-- With :listed_only, only the lines in staging.reprocess_lines are read: what a reprocess re-derives.

create temp table batch_staged (
  file_id bigint not null,
  line_number integer not null,
  event_date date not null
) on commit drop;

-- 1. Valid rows, first copy of each event_id in load order, unless staged before. One pass over raw,
-- sorted by event_id, which also lets the primary-key index fill page by page.
with kept as (
  select distinct on (c.event_id)
    c.event_id, c.event_type, c.event_at, c.event_date, c.user_id, c.session_id, c.document_id, c.feature_id,
    c.feature_name, c.edit_duration_seconds, c.characters_added, c.duration_seconds, c.session_duration_seconds,
    c.plan, c.previous_plan, c.billing_cycle, c.reason, c.login_method, c.share_type, c.title, c.template,
    c.email, c.full_name, c.company, c.country, c.signup_source, c.platform, c.ip_address, c.user_agent,
    c.account_id, c.mrr, c.amount, c.currency, c.file_id, c.line_number,
    case when coalesce(c.user_id, '') = '' then nullif(c.anonymous_id, '') end as anonymous_id
  from staging.raw_events_checked as c
  where c.file_id = any(:file_ids::bigint[])
    and c.event_hash % :shard_count::integer = :shard::integer
    and c.line_number between :min_line::integer and :max_line::integer
    and (not :skip_quarantined::boolean or not exists (
      select 1 from staging.quarantine as q where q.file_id = c.file_id and q.line_number = c.line_number))
    and (not :listed_only::boolean or exists (
      select 1 from staging.reprocess_lines as r where r.file_id = c.file_id and r.line_number = c.line_number))
    and c.problem_reason is null
    and not exists (select 1 from staging.events as s where s.event_id = c.event_id)
  order by c.event_id, c.file_id, c.line_number
),

inserted as (
  insert into staging.events (
    event_id, event_type, event_at, event_date, user_id, session_id, document_id, feature_id, feature_name,
    edit_duration_seconds, characters_added, duration_seconds, session_duration_seconds, plan, previous_plan,
    billing_cycle, reason, login_method, share_type, title, template, email, full_name, company, country,
    signup_source, platform, ip_address, user_agent, account_id, mrr, amount, currency, file_id, line_number,
    anonymous_id, browser_family, os_family, device_type
  )
  select
    k.event_id, k.event_type, k.event_at, k.event_date, nullif(k.user_id, ''), k.session_id, k.document_id,
    k.feature_id, k.feature_name, k.edit_duration_seconds, k.characters_added, k.duration_seconds,
    k.session_duration_seconds, k.plan, k.previous_plan, k.billing_cycle, k.reason, k.login_method, k.share_type,
    k.title, k.template, k.email, k.full_name, k.company, k.country, k.signup_source, k.platform, k.ip_address,
    k.user_agent, k.account_id, k.mrr, k.amount, k.currency, k.file_id, k.line_number, k.anonymous_id,
    -- Parsed when the file loaded (raw.user_agents): a hash join on a table of distinct strings.
    ua.browser_family, ua.os_family, ua.device_type
  from kept as k
  left join raw.user_agents as ua on ua.user_agent = k.user_agent
  returning file_id, line_number, event_date
)

insert into batch_staged (file_id, line_number, event_date)
select file_id, line_number, event_date from inserted;

-- The planner knows nothing of a new temporary table; with statistics it hashes it below instead of
-- sorting both sides.
analyze batch_staged;

-- 2. The rest of the batch: rows with a problem go to quarantine, valid ones are duplicates of the
-- staged copy. Checked again, but only the few rows left over.
create temp table batch_leftovers on commit drop as
select c.file_id, c.line_number, c.event_id, c.problem_reason, c.problem_detail, c.payload, c.line,
  c.message_type, c.user_id, c.anonymous_id, c.previous_id, c.account_id, c.event_at, c.event_date,
  c.email, c.full_name, c.company, c.plan, c.country
from staging.raw_events_checked as c
where c.file_id = any(:file_ids::bigint[])
  and c.event_hash % :shard_count::integer = :shard::integer
  and c.line_number between :min_line::integer and :max_line::integer
  and (not :skip_quarantined::boolean or not exists (
    select 1 from staging.quarantine as q where q.file_id = c.file_id and q.line_number = c.line_number))
  and (not :listed_only::boolean or exists (
    select 1 from staging.reprocess_lines as r where r.file_id = c.file_id and r.line_number = c.line_number))
  and not exists (
    select 1 from batch_staged as b where b.file_id = c.file_id and b.line_number = c.line_number
  );

-- A line loading could not store has no payload, only its text (raw_line). Segment messages that are
-- not product events are not problems: they go to the two tables after this one.
insert into staging.quarantine (file_id, line_number, reason, detail, payload, raw_line)
select file_id, line_number, problem_reason, problem_detail, payload, line
from batch_leftovers
where problem_reason is not null and problem_reason not in ('unmapped_event', 'identity_message');

-- Track, page and screen calls no mapping covers, every line (reprocess stages them once mapped).
insert into staging.unmapped_events (file_id, line_number, message_type, event_name, event_id, event_at, event_date)
select file_id, line_number, message_type, problem_detail, event_id, event_at, event_date
from batch_leftovers
where problem_reason = 'unmapped_event';

-- identify, alias and group calls: the first copy of each messageId, as events are kept.
insert into staging.identity_messages (
  message_id, message_type, user_id, anonymous_id, previous_id, account_id, message_at,
  email, full_name, company, plan, country, file_id, line_number
)
select distinct on (event_id)
  event_id, message_type, nullif(user_id, ''), nullif(anonymous_id, ''), nullif(previous_id, ''), account_id,
  event_at, email, full_name, company, plan, country, file_id, line_number
from batch_leftovers
where problem_reason = 'identity_message'
order by event_id, file_id, line_number
on conflict (message_id) do nothing;

insert into staging.duplicates (file_id, line_number, event_id, kept_file_id, kept_line_number)
select l.file_id, l.line_number, l.event_id, s.file_id, s.line_number
from batch_leftovers as l
inner join staging.events as s on s.event_id = l.event_id
where l.problem_reason is null
union all
select l.file_id, l.line_number, l.event_id, i.file_id, i.line_number
from batch_leftovers as l
inner join staging.identity_messages as i on i.message_id = l.event_id
where l.problem_reason = 'identity_message'
  and (i.file_id, i.line_number) <> (l.file_id, l.line_number);

-- 3. The dates that gained events, for the core layer to rebuild, and those of group calls, which can
-- change a person's account (sql/steps/core/dim_user_accounts.sql). In date order, so that two shards
-- inserting the same dates take their locks in the same order and never deadlock.
insert into ops.pending_dates (event_date)
select distinct event_date
from (
  select event_date from batch_staged
  union all
  select event_date from batch_leftovers
  where problem_reason = 'identity_message' and message_type = 'group' and event_date is not null
) as gained
order by event_date
on conflict (event_date) do update set marked_at = excluded.marked_at;

-- 4. The shard is done: its staged rows per file, for stg_files.sql to reconcile, and its mark.
insert into ops.staging_shard_files (batch_id, shard, file_id, staged_rows)
select :batch_id::bigint, :shard::integer, file_id, count(*)
from batch_staged
group by file_id;

insert into ops.staging_shards (batch_id, shard) values (:batch_id::bigint, :shard::integer);
