-- Rows per layer, for the health panel of dashboards that log in as analytics_reader: counts only. A
-- view reads with its owner's rights, so the reader sees them without being granted a single raw or
-- staging row.

-- raw and staging counts come from the file ledger: staging writes each file's outcome there, and
-- the quality gate checks that staged + quarantined + duplicates = lines for every file, so the sums
-- are exact without scanning millions of JSONB rows on every page view.
create or replace view ops.layer_row_counts as
with ledger as (
  select
    count(*) filter (where status in ('loaded', 'staged')) as files_loaded,
    coalesce(sum(line_count) filter (where status in ('loaded', 'staged')), 0) as lines_loaded,
    coalesce(sum(staged_rows), 0) as staged_rows,
    coalesce(sum(quarantined_rows), 0) as quarantined_rows,
    coalesce(sum(duplicate_rows), 0) as duplicate_rows,
    count(*) filter (where status = 'loaded') as files_waiting,
    count(*) filter (where status = 'rejected') as files_rejected
  from raw.files
),

-- count(*) on the core tables reads about 0.1 s for 1.8M events: cheap next to a page view.
core_counts as (
  select
    (select count(*) from core.fact_events) as fact_events,
    (select count(*) from core.fact_daily_user_activity) as fact_daily_user_activity,
    (select count(*) from core.dim_users where is_current) as dim_users
)

select position, layer, table_name, row_count::bigint as row_count
from ledger
cross join core_counts
cross join lateral (
  values
    (1, 'raw', 'raw.files (received)', files_loaded),
    (2, 'raw', 'raw.files (waiting for staging)', files_waiting),
    (3, 'raw', 'raw lines', lines_loaded),
    (4, 'staging', 'staging.events', staged_rows),
    (5, 'staging', 'staging.quarantine', quarantined_rows),
    (6, 'staging', 'staging.duplicates', duplicate_rows),
    (7, 'core', 'core.fact_events', fact_events),
    (8, 'core', 'core.fact_daily_user_activity', fact_daily_user_activity),
    (9, 'core', 'core.dim_users (current)', dim_users),
    (10, 'raw', 'raw.files (rejected)', files_rejected)
) as counts (position, layer, table_name, row_count);

-- As every relation in ops (sql/migrations/0017) for the transformer; the view cannot be written through.
grant select on ops.layer_row_counts to analytics_reader;
grant select, insert, update, delete on ops.layer_row_counts to saas_transformer;
