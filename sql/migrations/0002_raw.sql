-- raw: what arrived, exactly as it arrived. Rows are only ever inserted.

-- The file ledger: one row per (bucket, key, ETag). It is what makes loading exactly-once.
create table raw.files (
  file_id bigint generated always as identity primary key,
  bucket text not null,
  object_key text not null,
  etag text not null,
  size_bytes bigint,
  status text not null check (status in ('loading', 'loaded', 'staged', 'failed')),
  line_count integer,           -- non-blank lines read
  row_count integer,            -- lines that are JSON, in raw.events
  invalid_line_count integer,   -- lines that are not JSON, in raw.invalid_lines
  blank_line_count integer,
  staged_rows integer,          -- outcome of staging: staged + quarantined + duplicates = line_count
  quarantined_rows integer,
  duplicate_rows integer,
  staging_batch_id bigint,      -- the staging batch that took this file, see ops.staging_batches
  attempts integer not null default 1,
  error text,
  started_at timestamptz not null default now(),
  loaded_at timestamptz,
  staged_at timestamptz,
  unique (bucket, object_key, etag)
);
create index files_waiting_idx on raw.files (file_id) where status = 'loaded';

-- One row per JSON line. No foreign key to raw.files: the ingest transaction writes both, and a
-- per-row trigger check would slow COPY by a third.
create table raw.events (
  file_id bigint not null,
  line_number integer not null,
  payload jsonb not null,
  loaded_at timestamptz not null default now(),
  primary key (file_id, line_number)
);

-- Lines that are not JSON are kept as text, so nothing that arrived is lost.
create table raw.invalid_lines (
  file_id bigint not null,
  line_number integer not null,
  line text not null,
  error text not null,
  loaded_at timestamptz not null default now(),
  primary key (file_id, line_number)
);
