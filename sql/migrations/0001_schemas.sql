-- The warehouse's layers, one schema each, and the read-only role that BI tools log in through.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists core;
create schema if not exists analytics;
create schema if not exists ops;

-- Roles are cluster-wide: another database on the same server may have made it already, even concurrently.
do $$
begin
  create role analytics_reader nologin;
exception
  when duplicate_object or unique_violation then null;
end
$$;
