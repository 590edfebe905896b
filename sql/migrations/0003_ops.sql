-- ops: the pipeline's own bookkeeping.

-- Dates whose staged events changed and whose facts and aggregates still need rebuilding. Staging
-- adds to it; a run that passes the quality gate removes the dates it rebuilt. A failed run leaves
-- them, and the next run rebuilds them again: every rebuild is delete-then-insert, so that is safe.
create table ops.pending_dates (
  event_date date primary key,
  marked_at timestamptz not null default now()
);

-- Staging takes the loaded files as one batch and stages it in shards that split the rows by a hash
-- of event_id, one transaction each, so that it can use more than one core: every copy of an
-- event_id falls in the same shard, so each shard deduplicates on its own. A shard records itself in
-- the transaction that stages it; a batch interrupted halfway is resumed with only its missing shards.
create table ops.staging_batches (
  batch_id bigint generated always as identity primary key,
  file_ids bigint[] not null,
  shard_count integer not null check (shard_count between 1 and 64),
  created_at timestamptz not null default now(),
  finished_at timestamptz
);

create table ops.staging_shard_files (
  batch_id bigint not null references ops.staging_batches,
  shard integer not null,
  file_id bigint not null,
  staged_rows integer not null,
  primary key (batch_id, shard, file_id)
);

create table ops.staging_shards (
  batch_id bigint not null references ops.staging_batches,
  shard integer not null,
  staged_at timestamptz not null default now(),
  primary key (batch_id, shard)
);

-- The logical date A that every analytics view is computed as of. One row.
create table ops.analytics_as_of (
  singleton boolean primary key default true check (singleton),
  as_of_date date not null,
  set_at timestamptz not null default now(),
  run_id text
);

create table ops.runs (
  run_id text primary key,
  logical_date date,
  as_of_date date,
  status text not null check (status in ('running', 'succeeded', 'failed')),
  trigger text not null default 'manual',
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  error text
);
-- Two runs never interleave: at most one is running.
create unique index runs_one_running_idx on ops.runs ((true)) where status = 'running';

create table ops.run_steps (
  run_id text not null references ops.runs on delete cascade,
  step_name text not null,
  status text not null check (status in ('succeeded', 'failed')),
  row_count bigint,
  details jsonb,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  duration_ms integer not null,
  error text,
  primary key (run_id, step_name)
);

create table ops.quality_results (
  run_id text not null,
  check_name text not null,
  severity text not null check (severity in ('error', 'warn')),
  passed boolean not null,
  failing_rows integer not null,
  sample jsonb,                             -- up to five failing rows
  description text not null,
  checked_at timestamptz not null default now(),
  primary key (run_id, check_name)
);
