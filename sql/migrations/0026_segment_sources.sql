-- Segment-spec sources (docs/pipeline.md, "Sources"): a file declares its format by where it lands,
-- and raw keeps each Segment message exactly as it arrived. Staging reads it through the mapping
-- (sql/seeds/segment_mapping.json, loaded into staging.segment_mappings), so a new mapping can be
-- applied later to what raw already holds (saas-pipeline reprocess).

-- 'segment' for keys under segment-logs/ (Segment's S3 destination layout) or named *.segment.ndjson[.gz].
alter table raw.files
  add column format text not null default 'native' check (format in ('native', 'segment')),
  -- Outcomes of staging besides staged, quarantined and duplicate rows: track, page and screen calls no
  -- mapping covers, and identify, alias and group calls (they describe people, not product events).
  add column unmapped_rows integer,
  add column identity_rows integer;

-- One row per mapped message kind: a track event name, a page or screen name (source_event), or the
-- identify, alias and group calls (source_event ''). targets[i] is read from the dotted path
-- source_paths[i] of the message. event_type is the contract's; null for the identity calls.
create table staging.segment_mappings (
  message_type text collate "C" not null check (message_type in ('track', 'page', 'screen', 'identify', 'group', 'alias')),
  source_event text collate "C" not null,
  event_type text collate "C" references staging.accepted_event_types (event_type),
  targets text[] not null,
  source_paths text[] not null,
  mapping_version integer not null,
  primary key (message_type, source_event),
  check (cardinality(targets) = cardinality(source_paths)),
  check ((event_type is null) = (message_type in ('identify', 'group', 'alias')))
);

-- Messages no mapping covers: kept, not quarantined, so that a mapping added later can take them
-- (reprocess). One row per line.
create table staging.unmapped_events (
  file_id bigint not null,
  line_number integer not null,
  message_type text not null,
  event_name text,
  event_id text,
  event_at timestamptz,
  event_date date,
  primary key (file_id, line_number)
);
create index unmapped_events_name_idx on staging.unmapped_events (message_type, event_name);

-- identify, alias and group calls, first copy of each messageId; later copies go to staging.duplicates.
-- The traits are mapped to the contract's names (email, full_name, company, plan, country).
create table staging.identity_messages (
  message_id text collate "C" primary key,
  message_type text not null check (message_type in ('identify', 'group', 'alias')),
  user_id text,
  anonymous_id text,
  previous_id text,
  account_id text,
  message_at timestamptz not null,
  email text,
  full_name text,
  company text,
  plan text,
  country text,
  file_id bigint not null,
  line_number integer not null,
  unique (file_id, line_number)
);
create index identity_messages_anonymous_idx on staging.identity_messages (anonymous_id) where anonymous_id is not null;

-- Privileges: the defaults of sql/migrations/0017 (the transformer reads and writes staging; the loader
-- writes raw.files already, format included). BI reads none of these.
-- The lines a reprocess re-derives (sql/steps/staging/reprocess_lines.sql): filled and emptied inside
-- the reprocess's one transaction, so no other session ever sees a row of it.
create table staging.reprocess_lines (
  file_id bigint not null,
  line_number integer not null,
  primary key (file_id, line_number)
);
