-- Types, validates and deduplicates the raw rows of the files :file_ids, in one statement, so that
-- every raw line ends up in exactly one of staging.events, staging.quarantine or staging.duplicates.
-- Marks the dates that gained events as pending and records each file's outcome in the ledger.
with raw_rows as (
  select e.file_id, e.line_number, e.payload, e.loaded_at
  from raw.events as e
  where e.file_id = any(:file_ids::bigint[])
),

fields as (
  select
    file_id,
    line_number,
    payload,
    loaded_at,
    jsonb_typeof(payload) as payload_type,
    payload -> 'event_id' as event_id_json,
    payload -> 'event_type' as event_type_json,
    payload -> 'event_timestamp' as event_timestamp_json,
    payload -> 'user_id' as user_id_json,
    payload -> 'session_id' as session_id_json,
    payload -> 'properties' as properties_json,
    payload -> 'context' as context_json,
    payload ->> 'event_type' as event_type,
    payload ->> 'event_timestamp' as event_timestamp,
    staging.parse_event_timestamp(payload ->> 'event_timestamp') as event_at
  from raw_rows
),

props as (
  select
    fields.*,
    coalesce(case when jsonb_typeof(properties_json) = 'object' then properties_json end, '{}'::jsonb) as properties,
    coalesce(case when jsonb_typeof(context_json) = 'object' then context_json end, '{}'::jsonb) as context
  from fields
),

checked as (
  select
    props.*,
    case
      when payload_type <> 'object' then array['not_an_object', payload_type]
      when coalesce(event_id_json, 'null') = 'null' or event_id_json = '""' then array['missing_field', 'event_id']
      when jsonb_typeof(event_id_json) <> 'string' then array['invalid_value', 'event_id']
      when coalesce(event_type_json, 'null') = 'null' then array['missing_field', 'event_type']
      when jsonb_typeof(event_type_json) <> 'string' then array['invalid_value', 'event_type']
      when coalesce(event_timestamp_json, 'null') = 'null' then array['missing_field', 'event_timestamp']
      when coalesce(user_id_json, 'null') = 'null' or user_id_json = '""' then array['missing_field', 'user_id']
      when jsonb_typeof(user_id_json) not in ('string', 'number') then array['invalid_value', 'user_id']
      when jsonb_typeof(session_id_json) not in ('string', 'number', 'null') then array['invalid_value', 'session_id']
      when jsonb_typeof(properties_json) not in ('object', 'null') then array['invalid_value', 'properties']
      when jsonb_typeof(context_json) not in ('object', 'null') then array['invalid_value', 'context']
      when not exists (select 1 from staging.accepted_event_types as t where t.event_type = props.event_type)
        then array['unknown_event_type', left(props.event_type, 200)]
      when event_at is null then array['invalid_timestamp', left(event_timestamp_json::text, 200)]
      when event_at > loaded_at + interval '15 minutes' then array['future_timestamp', event_timestamp]
      when props.event_type like 'document\_%' and nullif(properties ->> 'document_id', '') is null
        then array['missing_field', 'properties.document_id']
      when props.event_type = 'feature_used' and nullif(properties ->> 'feature_id', '') is null
        then array['missing_field', 'properties.feature_id']
      when props.event_type in ('subscription_started', 'subscription_upgraded', 'subscription_downgraded')
        and nullif(properties ->> 'plan', '') is null
        then array['missing_field', 'properties.plan']
      when not staging.is_number_at_least(properties -> 'edit_duration_sec', 0)
        then array['invalid_value', 'properties.edit_duration_sec']
      when not staging.is_number_at_least(properties -> 'characters_added', -2147483648)
        then array['invalid_value', 'properties.characters_added']
      when not staging.is_number_at_least(properties -> 'duration_sec', 0)
        then array['invalid_value', 'properties.duration_sec']
    end as problem
  from props
),

valid as (
  select
    file_id,
    line_number,
    payload ->> 'event_id' as event_id,
    event_type,
    event_at,
    payload ->> 'user_id' as user_id,
    payload ->> 'session_id' as session_id,
    nullif(properties ->> 'document_id', '') as document_id,
    nullif(properties ->> 'feature_id', '') as feature_id,
    properties ->> 'feature_name' as feature_name,
    (properties ->> 'edit_duration_sec')::numeric::integer as edit_duration_seconds,
    (properties ->> 'characters_added')::numeric::integer as characters_added,
    (properties ->> 'duration_sec')::numeric::integer as duration_seconds,
    properties ->> 'plan' as plan,
    properties ->> 'previous_plan' as previous_plan,
    properties ->> 'billing_cycle' as billing_cycle,
    properties ->> 'reason' as reason,
    context ->> 'platform' as platform,
    context ->> 'ip_address' as ip_address,
    context ->> 'user_agent' as user_agent,
    properties,
    -- The first copy of an event_id in load order is the one kept.
    row_number() over first_copy_first as copy_number,
    first_value(file_id) over first_copy_first as first_file_id,
    first_value(line_number) over first_copy_first as first_line_number
  from checked
  where problem is null
  window first_copy_first as (partition by payload ->> 'event_id' order by file_id, line_number)
),

-- An event_id staged by an earlier load makes every copy in this one a duplicate.
flagged as (
  select valid.*, earlier.file_id as earlier_file_id, earlier.line_number as earlier_line_number
  from valid
  left join staging.events as earlier on earlier.event_id = valid.event_id
),

inserted as (
  insert into staging.events (
    event_id, event_type, event_at, event_date, user_id, session_id, document_id, feature_id, feature_name,
    edit_duration_seconds, characters_added, duration_seconds, plan, previous_plan, billing_cycle, reason,
    platform, ip_address, user_agent, properties, file_id, line_number
  )
  select
    event_id, event_type, event_at, (event_at at time zone 'UTC')::date, user_id, session_id, document_id,
    feature_id, feature_name, edit_duration_seconds, characters_added, duration_seconds, plan, previous_plan,
    billing_cycle, reason, platform, ip_address, user_agent, properties, file_id, line_number
  from flagged
  where copy_number = 1 and earlier_file_id is null
  returning file_id, event_date
),

duplicated as (
  insert into staging.duplicates (file_id, line_number, event_id, kept_file_id, kept_line_number)
  select file_id, line_number, event_id,
    coalesce(earlier_file_id, first_file_id), coalesce(earlier_line_number, first_line_number)
  from flagged
  where copy_number > 1 or earlier_file_id is not null
  returning file_id
),

quarantined as (
  insert into staging.quarantine (file_id, line_number, reason, detail, payload, raw_line)
  select file_id, line_number, problem[1], problem[2], payload, null
  from checked
  where problem is not null
  union all
  select i.file_id, i.line_number, 'invalid_json', i.error, null, i.line
  from raw.invalid_lines as i
  where i.file_id = any(:file_ids::bigint[])
  returning file_id
),

marked_dates as (
  insert into ops.pending_dates (event_date)
  select distinct event_date from inserted
  on conflict (event_date) do nothing
),

outcomes as (
  select file_id, count(*) as staged, 0 as quarantined, 0 as duplicates from inserted group by file_id
  union all
  select file_id, 0, count(*), 0 from quarantined group by file_id
  union all
  select file_id, 0, 0, count(*) from duplicated group by file_id
),

per_file as (
  select
    f.file_id,
    coalesce(sum(o.staged), 0) as staged,
    coalesce(sum(o.quarantined), 0) as quarantined,
    coalesce(sum(o.duplicates), 0) as duplicates
  from unnest(:file_ids::bigint[]) as f (file_id)
  left join outcomes as o on o.file_id = f.file_id
  group by f.file_id
)

update raw.files as files
set status = 'staged', staged_at = now(),
  staged_rows = per_file.staged, quarantined_rows = per_file.quarantined, duplicate_rows = per_file.duplicates
from per_file
where files.file_id = per_file.file_id
returning files.file_id, files.object_key, files.staged_rows, files.quarantined_rows, files.duplicate_rows;
