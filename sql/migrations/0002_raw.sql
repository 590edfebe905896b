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

-- One row per JSON line. The ingest transaction that claims a file in the ledger writes all its
-- lines, so (file_id, line_number) is unique by construction, and the quality gate counts each file's
-- rows against the ledger. No btree key and no foreign key: they cost COPY a third of its speed
-- (measured: 14.2 s against 9.5 s for 1.7M events). Rows arrive file by file, so a BRIN index on
-- file_id finds a file's rows at almost no cost to loading. Staging summarizes the new block ranges
-- before it reads (brin_summarize_new_values): unsummarized ranges would be read for every lookup.
create table raw.events (
  file_id bigint not null,
  line_number integer not null,
  payload jsonb not null,
  loaded_at timestamptz not null default now()
);
create index events_file_id_brin on raw.events using brin (file_id) with (pages_per_range = 16, autosummarize = on);

-- Lines that are not JSON are kept as text, so nothing that arrived is lost.
create table raw.invalid_lines (
  file_id bigint not null,
  line_number integer not null,
  line text not null,
  error text not null,
  loaded_at timestamptz not null default now(),
  primary key (file_id, line_number)
);
