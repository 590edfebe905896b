-- The rules that decide whether a raw row becomes a staged event, in one place: the view
-- staging.raw_events_checked types every raw row and names its problem (null when valid). The staging
-- step (sql/steps/staging/stg_events.sql) reads it, and so can anyone asking why a line was
-- quarantined. docs/metrics.md, section 7, lists the rules in the order they are checked.
create or replace view staging.raw_events_checked as
select
  e.file_id,
  e.line_number,
  e.loaded_at,
  -- Which staging shard a row belongs to is (event_hash % shard count): every copy of an event_id
  -- hashes alike. Computed on the raw row, so a shard's filter applies before the costly checks.
  coalesce(hashtext(e.payload ->> case when files.format = 'segment' then 'messageId' else 'event_id' end), 0)
    & 2147483647 as event_hash,
  checked.*
from raw.events as e
inner join raw.files as files on files.file_id = e.file_id
-- The Segment message's entry in the mapping (sql/seeds/segment_mapping.json): by type, and for track,
-- page and screen calls by name. A hash join: the mapping is a few rows.
left join staging.segment_mappings as m
  on files.format = 'segment'
  and m.message_type = e.payload ->> 'type'
  and m.source_event = coalesce(e.payload ->> case e.payload ->> 'type' when 'track' then 'event' else 'name' end, '')
-- Read once per statement, not once per row.
cross join (
  select staging.min_event_at() as min_event_at,
    current_setting('saas_pipeline.full_ip_addresses', true) = 'on' as full_ip_addresses
) as settings
-- A Segment message, rewritten in the contract's shape so that every rule below applies to it as to a
-- native event (docs/pipeline.md, "Sources"). The time is timestamp, else originalTimestamp, else
-- receivedAt. The mapped fields come from m's paths; a path the message lacks sets nothing.
cross join lateral (
  select
    files.format = 'segment' as is_segment,
    case when files.format = 'segment' and jsonb_typeof(e.payload) = 'object' then e.payload ->> 'type' end
      as message_type,
    case when files.format = 'segment' and jsonb_typeof(e.payload) = 'object'
      then coalesce(e.payload ->> case e.payload ->> 'type' when 'track' then 'event' else 'name' end, '')
    end as message_name,
    case when files.format = 'segment' and jsonb_typeof(e.payload) = 'object' then e.payload end as message,
    mapped.fields as mapped_fields
  from (
    select case when m.message_type is not null then (
      select jsonb_object_agg(u.target, u.value)
      from unnest(m.targets, m.source_paths) as t (target, source_path)
      cross join lateral (select t.target, e.payload #> string_to_array(t.source_path, '.') as value) as u
      where u.value is not null and u.value <> 'null'
    ) end as fields
  ) as mapped
  -- Once per row: each use of mapped_fields below would run the subquery again.
  offset 0
) as source
cross join lateral (
  select case when not source.is_segment or source.message is null then e.payload else jsonb_strip_nulls(
    jsonb_build_object(
      'event_id', source.message -> 'messageId',
      'event_type', to_jsonb(m.event_type),
      'event_timestamp', coalesce(nullif(source.message -> 'timestamp', 'null'),
                                  nullif(source.message -> 'originalTimestamp', 'null'),
                                  nullif(source.message -> 'receivedAt', 'null')),
      'user_id', nullif(source.message -> 'userId', 'null'),
      'session_id', source.mapped_fields -> 'session_id',
      'account_id', coalesce(source.mapped_fields -> 'account_id',
                             case when source.message_type = 'group' then source.message -> 'groupId' end,
                             source.message #> '{context,groupId}'),
      'properties', coalesce(source.mapped_fields, '{}') - 'session_id' - 'platform' - 'account_id',
      'context', jsonb_build_object(
        'platform', source.mapped_fields -> 'platform',
        'ip_address', source.message #> '{context,ip}',
        'user_agent', source.message #> '{context,userAgent}'
      )
    )) end as payload
) as contract
cross join lateral (
  with fields as (
    -- jsonb_to_record reads all of an object's fields in one call, several times faster than one
    -- operator per field. It refuses non-objects, so those are read as {} and flagged below.
    select
      jsonb_typeof(contract.payload) as payload_type,
      jsonb_typeof(f.properties) as properties_type,
      jsonb_typeof(f.context) as context_type,
      jsonb_typeof(f.event_id) as event_id_type,
      jsonb_typeof(f.user_id) as user_id_type,
      jsonb_typeof(f.session_id) as session_id_type,
      f.event_id #>> '{}' as event_id,
      f.event_type,
      f.event_timestamp,
      staging.parse_event_timestamp(f.event_timestamp) as event_at,
      f.user_id #>> '{}' as user_id,
      f.session_id #>> '{}' as session_id,
      -- The top level wins when it holds an id; else properties.account_id. "" is no account.
      jsonb_typeof(a.account_id) as account_id_type,
      a.account_id #>> '{}' as account_id,
      p.*,
      c.*
    from jsonb_to_record(case when jsonb_typeof(contract.payload) = 'object' then contract.payload else '{}' end)
      as f (event_id jsonb, event_type text, event_timestamp text, user_id jsonb, session_id jsonb,
            properties jsonb, context jsonb, account_id jsonb)
    cross join lateral (
      select case when coalesce(f.account_id #>> '{}', '') <> '' then f.account_id
                  else nullif(f.properties -> 'account_id', '""') end as account_id
    ) as a
    cross join jsonb_to_record(case when jsonb_typeof(f.properties) = 'object' then f.properties else '{}' end)
      as p (document_id text, feature_id text, feature_name text, edit_duration_sec jsonb, characters_added jsonb,
            duration_sec jsonb, session_duration_sec jsonb, plan text, previous_plan text, billing_cycle text,
            reason text, method text, share_type text, title text, template text, email text, name text,
            company text, country text, signup_source text, mrr jsonb, amount jsonb, currency jsonb)
    cross join jsonb_to_record(case when jsonb_typeof(f.context) = 'object' then f.context else '{}' end)
      as c (platform text, ip_address text, user_agent text)
    -- offset 0 computes each field once for the checks below, instead of once per use.
    offset 0
  ),

  problems as (
    select
      fields.*,
      case
        -- Loading stored the line without a payload, and said why.
        when e.payload is null then array[e.line_reason, e.line_error]
        when payload_type <> 'object' then array['not_an_object', payload_type]
        -- A Segment message: its own required fields first, named as the spec names them.
        when source.is_segment and coalesce(event_id, '') = '' then array['missing_field', 'messageId']
        when source.is_segment and event_id_type <> 'string' then array['invalid_value', 'messageId']
        when source.is_segment and source.message_type is null then array['missing_field', 'type']
        when source.is_segment
          and source.message_type not in ('track', 'page', 'screen', 'identify', 'group', 'alias')
          then array['invalid_value', 'type']
        when source.is_segment and source.message_type = 'track' and source.message_name = ''
          then array['missing_field', 'event']
        when source.is_segment and event_timestamp is null then array['missing_field', 'timestamp']
        when source.is_segment and event_at is null then array['invalid_timestamp', left(event_timestamp, 200)]
        when source.is_segment and coalesce(user_id, '') = ''
          and coalesce(source.message ->> 'anonymousId', '') = '' then array['missing_field', 'userId']
        when source.is_segment and user_id_type not in ('string', 'number', 'null') then array['invalid_value', 'userId']
        when source.is_segment and source.message_type = 'alias' and coalesce(user_id, '') = ''
          then array['missing_field', 'userId']
        when source.is_segment and source.message_type = 'alias'
          and coalesce(source.message ->> 'previousId', '') = '' then array['missing_field', 'previousId']
        when source.is_segment and source.message_type = 'group'
          and coalesce(source.message ->> 'groupId', '') = '' then array['missing_field', 'groupId']
        when source.is_segment and greatest(length(event_id), length(user_id), length(account_id),
            length(source.message ->> 'anonymousId'), length(source.message ->> 'previousId')) > 256
          then array['identifier_too_long', 'messageId, userId, anonymousId, previousId or groupId']
        -- Not events: staging.identity_messages keeps them (stg_events.sql).
        when source.is_segment and source.message_type in ('identify', 'group', 'alias')
          then array['identity_message', source.message_type]
        -- No mapping covers it: kept in staging.unmapped_events, for a mapping added later.
        when source.is_segment and m.event_type is null then array['unmapped_event', left(source.message_name, 200)]
        when coalesce(event_id, '') = '' then array['missing_field', 'event_id']
        when event_id_type <> 'string' then array['invalid_value', 'event_id']
        when event_type is null then array['missing_field', 'event_type']
        when event_timestamp is null then array['missing_field', 'event_timestamp']
        -- A Segment message may name its person by anonymousId alone: identity resolution attributes it.
        when coalesce(user_id, '') = '' and not source.is_segment then array['missing_field', 'user_id']
        when user_id_type not in ('string', 'number') then array['invalid_value', 'user_id']
        when session_id_type not in ('string', 'number', 'null') then array['invalid_value', 'session_id']
        when properties_type not in ('object', 'null') then array['invalid_value', 'properties']
        when context_type not in ('object', 'null') then array['invalid_value', 'context']
        when account_id_type not in ('string', 'number') then array['invalid_value', 'account_id']
        -- 256 characters (1 KiB of UTF-8) always fit a btree entry, even two ids to one index.
        when length(event_id) > 256 then array['identifier_too_long', 'event_id']
        when length(user_id) > 256 then array['identifier_too_long', 'user_id']
        when length(session_id) > 256 then array['identifier_too_long', 'session_id']
        when length(document_id) > 256 then array['identifier_too_long', 'properties.document_id']
        when length(feature_id) > 256 then array['identifier_too_long', 'properties.feature_id']
        when length(account_id) > 256 then array['identifier_too_long', 'account_id']
        when event_type <> all (array(select t.event_type::text from staging.accepted_event_types as t))
          then array['unknown_event_type', left(event_type, 200)]
        when event_at is null then array['invalid_timestamp', left(event_timestamp, 200)]
        when event_at < settings.min_event_at then array['timestamp_too_old', left(event_timestamp, 200)]
        -- Later than its own arrival (with 15 minutes for producers' clock drift): deterministic on re-runs.
        when event_at > e.loaded_at + interval '15 minutes' then array['future_timestamp', left(event_timestamp, 200)]
        when event_type like 'document\_%' and coalesce(document_id, '') = ''
          then array['missing_field', 'properties.document_id']
        when event_type = 'feature_used' and coalesce(feature_id, '') = ''
          then array['missing_field', 'properties.feature_id']
        when event_type in ('subscription_started', 'subscription_upgraded', 'subscription_downgraded')
          and coalesce(plan, '') = ''
          then array['missing_field', 'properties.plan']
        when not staging.is_number_at_least(edit_duration_sec, 0)
          then array['invalid_value', 'properties.edit_duration_sec']
        when not staging.is_number_at_least(characters_added, -2147483648)
          then array['invalid_value', 'properties.characters_added']
        when not staging.is_number_at_least(duration_sec, 0)
          then array['invalid_value', 'properties.duration_sec']
        when not staging.is_number_at_least(session_duration_sec, 0)
          then array['invalid_value', 'properties.session_duration_sec']
        -- Money: any number >= 0, kept exact (numeric), with no integer bound.
        when jsonb_typeof(mrr) not in ('number', 'null') or staging.json_number(mrr) < 0
          then array['invalid_value', 'properties.mrr']
        when jsonb_typeof(amount) not in ('number', 'null') or staging.json_number(amount) < 0
          then array['invalid_value', 'properties.amount']
        -- ISO 4217: three upper-case letters, compared byte by byte.
        when jsonb_typeof(currency) not in ('string', 'null') or (currency #>> '{}') !~ '^[A-Z]{3}$'
          then array['invalid_value', 'properties.currency']
      end as problem
    from fields
    offset 0
  )

  select
    problem[1] as problem_reason,
    -- A rule on a mapped field names the path it was read from in the Segment message.
    case when source.is_segment and problem[2] like 'properties.%'
      then coalesce(m.source_paths[array_position(m.targets, substr(problem[2], 12))], problem[2])
      else problem[2]
    end as problem_detail,
    case when problem is not null then e.payload end as payload,
    event_id,
    event_type,
    event_at,
    (event_at at time zone (select time_zone from ops.reporting_time_zone))::date as event_date,
    user_id,
    session_id,
    nullif(document_id, '') as document_id,
    nullif(feature_id, '') as feature_id,
    feature_name,
    case when problem is null then round(staging.json_number(edit_duration_sec))::integer end as edit_duration_seconds,
    case when problem is null then round(staging.json_number(characters_added))::integer end as characters_added,
    case when problem is null then round(staging.json_number(duration_sec))::integer end as duration_seconds,
    case when problem is null then round(staging.json_number(session_duration_sec))::integer end
      as session_duration_seconds,
    plan,
    previous_plan,
    billing_cycle,
    reason,
    method as login_method,
    share_type,
    title,
    template,
    email,
    name as full_name,
    company,
    country,
    signup_source,
    platform,
    -- Its /24 or /48 unless the setting keeps it whole (staging.truncated_ip).
    staging.truncated_ip(ip_address, settings.full_ip_addresses) as ip_address,
    user_agent,
    e.line,
    -- The revenue fields (migration 0019), after the columns the view had before them.
    nullif(account_id, '') as account_id,
    case when problem is null then staging.json_number(mrr) end as mrr,
    case when problem is null then staging.json_number(amount) end as amount,
    case when problem is null then currency #>> '{}' end as currency,
    -- The Segment fields (migration 0026), null for native events.
    source.message_type,
    source.message ->> 'anonymousId' as anonymous_id,
    source.message ->> 'previousId' as previous_id
  from problems
) as checked;

-- As every relation in staging (sql/migrations/0017); the view cannot be written through.
grant select, insert, update, delete on staging.raw_events_checked to saas_transformer;
