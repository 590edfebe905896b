-- core: the star schema. Facts carry durable natural keys (user_id, document_id, feature_id and the
-- date), so a late event that adds a version to dim_users never orphans or rewrites a fact. The plan
-- a user had at an event is the dim_users version whose [valid_from, valid_to) holds event_at.

create table core.dim_date (
  calendar_date date primary key,
  date_key integer not null unique,         -- yyyymmdd, for tools that want an integer key
  year smallint not null,
  quarter smallint not null,
  month smallint not null,
  month_name text not null,
  month_start_date date not null,
  day_of_month smallint not null,
  iso_day_of_week smallint not null,        -- 1 = Monday
  day_name text not null,
  iso_year smallint not null,
  iso_week smallint not null,
  week_start_date date not null,            -- the Monday of the ISO week
  is_weekend boolean not null
);

create table core.dim_features (
  feature_id text collate "C" primary key,
  feature_name text not null,
  feature_category text not null,
  is_premium boolean not null,
  is_catalogued boolean not null            -- false: first seen in events, not in the product catalogue
);
insert into core.dim_features (feature_id, feature_name, feature_category, is_premium, is_catalogued) values
  ('real_time_collab', 'Real-time Collaboration', 'collaboration', true, true),
  ('comments', 'Comments', 'collaboration', false, true),
  ('version_history', 'Version History', 'editing', true, true),
  ('export_pdf', 'Export to PDF', 'editing', false, true),
  ('templates', 'Templates', 'editing', false, true),
  ('cloud_storage', 'Cloud Storage', 'storage', false, true),
  ('advanced_search', 'Advanced Search', 'analytics', true, true),
  ('team_analytics', 'Team Analytics', 'analytics', true, true);

-- SCD type 2: a new version whenever plan, status or billing cycle changes.
create table core.dim_users (
  user_id text collate "C" not null,
  version_number integer not null,
  valid_from timestamptz not null,
  valid_to timestamptz,                     -- null: the current version
  is_current boolean not null,
  plan text not null,
  subscription_status text not null check (subscription_status in ('active', 'cancelled')),
  billing_cycle text,
  email text,
  full_name text,
  company text,
  country text,
  signup_at timestamptz not null,
  signup_date date not null,
  signup_source text not null check (signup_source in ('user_signed_up', 'first_event')),
  primary key (user_id, valid_from),
  unique (user_id, version_number)
);
create unique index dim_users_current_idx on core.dim_users (user_id) where is_current;

create table core.dim_documents (
  document_id text collate "C" primary key,
  created_by_user_id text collate "C",
  title text,
  template text,
  created_at timestamptz not null,
  created_date date not null,
  creation_source text not null check (creation_source in ('document_created', 'first_event')),
  first_seen_at timestamptz not null,
  deleted_at timestamptz,
  is_deleted boolean not null
);

-- One row per valid, deduplicated event. event_id is unique because staging.events' primary key is
-- and facts are rebuilt from it date by date; the quality gate checks it for the dates a run touches.
create table core.fact_events (
  event_id text collate "C" not null,
  event_date date not null,
  event_at timestamptz not null,
  event_type text collate "C" not null,
  user_id text collate "C" not null,
  session_id text collate "C",
  document_id text collate "C",
  feature_id text collate "C",
  platform text,
  edit_duration_seconds integer,
  characters_added integer,
  duration_seconds integer
);
create index fact_events_event_date_idx on core.fact_events (event_date);

create table core.fact_daily_user_activity (
  user_id text collate "C" not null,
  activity_date date not null,
  event_count integer not null,
  session_count integer not null,           -- distinct session_id
  login_count integer not null,
  documents_created integer not null,
  documents_edited integer not null,        -- distinct documents edited
  edit_count integer not null,
  characters_added bigint not null,
  edit_seconds bigint not null,             -- sums of per-event integers: bigint so a day cannot overflow
  feature_uses integer not null,
  feature_seconds bigint not null,
  active_seconds bigint not null,           -- edit_seconds + feature_seconds
  distinct_features integer not null,
  first_event_at timestamptz not null,
  last_event_at timestamptz not null,
  primary key (user_id, activity_date)
);
create index fact_daily_user_activity_date_idx on core.fact_daily_user_activity (activity_date);

-- Daily grain for feature adoption, so the analytics never rescan every feature_used event.
create table core.fact_daily_user_features (
  feature_id text collate "C" not null,
  user_id text collate "C" not null,
  activity_date date not null,
  use_count integer not null,
  duration_seconds_total bigint not null,
  duration_count integer not null,          -- uses that reported a duration
  first_used_at timestamptz not null,
  last_used_at timestamptz not null,
  primary key (feature_id, user_id, activity_date)
);
create index fact_daily_user_features_date_idx on core.fact_daily_user_features (activity_date);
