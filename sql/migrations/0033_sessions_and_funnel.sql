-- Sessions and the activation funnel (docs/metrics.md, sections 17 and 18): core.fact_sessions, one
-- row per session, rebuilt for the pending dates by sql/steps/core/fact_sessions.sql; and the
-- published copy of analytics_build.session_metrics (sql/models/analytics/session_metrics.sql).
create table core.fact_sessions (
  user_id text collate "C" not null,
  -- 'id:' || session_id for a session the events name; 'inactivity:' || its first event_id for one
  -- split from a user's events without a session id by 30 minutes of inactivity.
  session_key text collate "C" not null,
  session_id text collate "C",
  session_date date not null,
  end_date date not null,
  started_at timestamptz not null,
  ended_at timestamptz not null,
  duration_seconds integer not null check (duration_seconds >= 0),
  event_count integer not null check (event_count > 0),
  documents_touched integer not null,
  features_used integer not null,
  platform text,
  first_event_id text collate "C" not null,
  primary key (user_id, session_key),
  check (ended_at >= started_at and end_date >= session_date)
);
-- A run finds the sessions near its dates by their end: the latest ones, for a daily run.
create index fact_sessions_ended_at_idx on core.fact_sessions (ended_at);
create index fact_sessions_inactivity_idx on core.fact_sessions (user_id, started_at) where session_id is null;

create table analytics.session_metrics (
  session_date date not null,
  -- A platform, or 'all' for every session of the day.
  platform text not null,
  sessions integer not null,
  users integer not null,
  median_duration_seconds numeric not null,
  p90_duration_seconds numeric not null,
  sessions_per_user numeric not null,
  as_of_date date not null,
  primary key (session_date, platform)
);

-- The erasure removes a person's sessions with the rest of their rows.
grant select, delete on core.fact_sessions to saas_eraser;

-- The published copy of analytics_build.activation_funnel (sql/models/analytics/activation_funnel.sql).
create table analytics.activation_funnel (
  cohort_month date not null,
  step integer not null check (step between 1 and 5),
  step_name text not null,
  users integer not null,
  -- Null for step 1, and for a step after one nobody reached.
  conversion_rate numeric,
  -- Null when nobody reached the step.
  median_hours_from_signup numeric,
  is_complete boolean not null,
  as_of_date date not null,
  primary key (cohort_month, step)
);
