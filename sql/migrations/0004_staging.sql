-- staging: typed, validated, deduplicated events; everything rejected, with the reason.

-- Text keys use the "C" collation: byte order sorts and indexes several times faster than a
-- linguistic one, and ids have no language.
create table staging.events (
  event_id text collate "C" primary key,
  event_type text collate "C" not null,
  event_at timestamptz not null,
  event_date date not null,                 -- UTC date of event_at
  user_id text collate "C" not null,
  session_id text collate "C",
  document_id text collate "C",
  feature_id text collate "C",
  feature_name text,
  edit_duration_seconds integer,
  characters_added integer,
  duration_seconds integer,
  session_duration_seconds integer,
  plan text,
  previous_plan text,
  billing_cycle text,
  reason text,
  login_method text,
  share_type text,
  title text,
  template text,
  email text,
  full_name text,
  company text,
  country text,
  signup_source text,
  platform text,
  ip_address text,
  user_agent text,
  -- Lineage: the raw line this row was typed from, which also holds any property not typed here.
  file_id bigint not null,
  line_number integer not null
);
create index events_event_date_idx on staging.events (event_date);
-- Dimensions read the few lifecycle events of a user or document; these partial indexes keep that
-- independent of history size.
create index events_user_lifecycle_idx on staging.events (user_id, event_at)
  where event_type in ('user_signed_up', 'subscription_started', 'subscription_upgraded',
                       'subscription_downgraded', 'subscription_cancelled');
create index events_document_lifecycle_idx on staging.events (document_id, event_at)
  where event_type in ('document_created', 'document_deleted');

-- Rejected rows, one per raw line, with a machine-readable reason.
create table staging.quarantine (
  file_id bigint not null,
  line_number integer not null,
  reason text not null check (reason in (
    'invalid_json', 'not_an_object', 'missing_field', 'invalid_value',
    'unknown_event_type', 'invalid_timestamp', 'future_timestamp')),
  detail text,                              -- the field concerned, or the parser's message
  payload jsonb,                            -- null for invalid_json: see raw_line
  raw_line text,
  quarantined_at timestamptz not null default now(),
  primary key (file_id, line_number)
);
create index quarantine_reason_idx on staging.quarantine (reason);

-- Valid rows whose event_id was staged already: within one batch the first copy (lowest file_id, then
-- line) is kept; across batches, the copy staged first. kept_* points at the staged copy.
create table staging.duplicates (
  file_id bigint not null,
  line_number integer not null,
  event_id text collate "C" not null,
  kept_file_id bigint not null,
  kept_line_number integer not null,
  primary key (file_id, line_number)
);

create table staging.accepted_event_types (
  event_type text collate "C" primary key,
  description text not null
);
insert into staging.accepted_event_types (event_type, description) values
  ('user_signed_up', 'A user created an account'),
  ('user_login', 'A session began'),
  ('user_logout', 'A session ended'),
  ('document_created', 'A document was created'),
  ('document_edited', 'A document was edited'),
  ('document_shared', 'A document was shared'),
  ('document_deleted', 'A document was deleted'),
  ('feature_used', 'A product feature was used'),
  ('subscription_started', 'A paid subscription began'),
  ('subscription_upgraded', 'A subscription moved to a higher plan'),
  ('subscription_downgraded', 'A subscription moved to a lower plan'),
  ('subscription_cancelled', 'A paid subscription ended');
