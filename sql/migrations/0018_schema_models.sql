-- Views, materialized views and functions become schema models: one file each in sql/models/<layer>/,
-- which the migrator applies again whenever the file changes, after the migrations and in the same
-- transaction (lambdas/warehouse/migrate.ts). This is its record. Migrations keep the tables, roles
-- and grants; the historic versions of the objects stay in the migrations that first made them.
create table ops.schema_models (
  name text primary key,                    -- the file under sql/models, without .sql
  checksum text not null,                   -- sha256 of the file as applied
  applied_at timestamptz not null default now()
);

-- As ops.schema_migrations: the steps read it to refuse a stale schema, and change nothing in it.
revoke all on ops.schema_models from saas_transformer;
grant select on ops.schema_models to saas_loader, saas_transformer;
