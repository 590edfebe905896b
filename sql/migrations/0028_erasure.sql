-- Erasure (docs/metrics.md, section 15): `saas-pipeline forget --user ID` removes every row of a
-- person from every layer, records the request here, and leaves a tombstone that keeps a re-load
-- from bringing the person back.

-- One random salt for the warehouse, made here and never shown: the hashes below are of salt || id,
-- so that the audit names no one, and an id cannot be checked against it without the database.
create table ops.erasure_salt (
  singleton boolean primary key default true check (singleton),
  salt text not null
);
insert into ops.erasure_salt (salt) values (replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

-- Each request: who or what asked, when, the salted hash of the id (never the id), and the rows
-- removed per table.
create table ops.erasures (
  erasure_id bigint generated always as identity primary key,
  id_hash text not null,
  requested_by text not null,
  requested_at timestamptz not null default now(),
  rows_removed jsonb not null,
  dates_rebuilt integer not null,
  -- The landing files that held the person's lines: what the operator rewrites or expires in S3.
  object_keys text[] not null
);

-- The tombstones: every id of an erased person (the userId and the anonymous ids linked to it), by
-- salted hash. Loading drops a line that names one of them (lambdas/warehouse/erasure.ts).
create table ops.erased_ids (
  id_hash text primary key,
  erasure_id bigint not null references ops.erasures
);

-- Lines loading dropped or an erasure removed: line_count + forgotten_lines is what the file held.
alter table raw.files add column forgotten_lines integer not null default 0;

-- Loading checks every line against the tombstones, so the loader reads them and the salt; nothing
-- else of ops.erasures. BI reads none of it.
grant select on ops.erasure_salt, ops.erased_ids to saas_loader;
revoke all on ops.erasure_salt, ops.erased_ids, ops.erasures from analytics_reader;
revoke all on ops.erasure_salt, ops.erased_ids, ops.erasures from saas_transformer;
