-- Erases the person :user_id (lambdas/warehouse/erasure.ts runs this in one transaction, under the
-- staging lock, as the owner). docs/metrics.md, section 15, says what goes and why.
--
-- 1. The person's ids: the userId, and every id a link takes to it (its anonymous ids, an alias
--    chain). Their emails, wherever staging or core holds one. The lines to remove are every raw
--    line that holds one of them as a JSON string (a field's value, in any field), valid JSON or not.

create temp table forget_ids on commit drop as
select :user_id::text as id
union
select source_id from staging.identity_links where person_id = :user_id::text;

create temp table forget_patterns on commit drop as
with emails as (
  select email from staging.events
  where email is not null and (user_id in (select id from forget_ids) or anonymous_id in (select id from forget_ids))
  union
  select email from staging.identity_messages
  where email is not null and (user_id in (select id from forget_ids) or anonymous_id in (select id from forget_ids))
  union
  select email from core.dim_users where email is not null and user_id in (select id from forget_ids)
)
select '%' || replace(replace(replace(to_json(value)::text, '\', '\\'), '%', '\%'), '_', '\_') || '%' as pattern
from (select id as value from forget_ids union select email from emails) as v;

-- One pass over raw: a line whose text or payload holds one of them, quoted as JSON quotes it.
create temp table forget_lines on commit drop as
select e.file_id, e.line_number, e.payload is not null as is_json
from raw.events as e
where coalesce(e.payload::text, e.line) like any (array(select pattern from forget_patterns));
create unique index on forget_lines (file_id, line_number);
analyze forget_lines;

-- 2. The lines per file, for the ledger (erasure.ts then counts each file's outcomes again:
--    sql/steps/staging/recount_files.sql); and the dates whose facts change.
create temp table forget_files on commit drop as
select file_id, count(*) as lines, count(*) filter (where is_json) as json_lines
from forget_lines
group by file_id;

create temp table forget_removed (table_name text primary key, rows bigint not null) on commit drop;

insert into ops.pending_dates (event_date)
select distinct event_date
from (
  select s.event_date from staging.events as s
  inner join forget_lines as l on l.file_id = s.file_id and l.line_number = s.line_number
  union
  select f.event_date from core.fact_events as f where f.user_id in (select id from forget_ids)
  union
  -- Where the person paid, the accounts' MRR changes from that month on: every date from there is
  -- rebuilt, so that every account it can change is (lambdas/warehouse/erasure.ts, the caveat).
  select s.event_date from staging.events as s
  where s.event_date >= (
    select min(m.month) from core.fact_customer_mrr_monthly as m
    where m.paying_user_ids && array(select id from forget_ids)::text[]
  )
) as dates
order by event_date
on conflict (event_date) do update set marked_at = excluded.marked_at;

-- 3. Staging: by line, and by id for what a line no longer names (a link).
with removed as (
  delete from staging.events as s
  using forget_lines as l
  where l.file_id = s.file_id and l.line_number = s.line_number
  returning 1
)
insert into forget_removed select 'staging.events', count(*) from removed;

with removed as (
  delete from staging.quarantine as q using forget_lines as l
  where l.file_id = q.file_id and l.line_number = q.line_number returning 1
)
insert into forget_removed select 'staging.quarantine', count(*) from removed;

with removed as (
  delete from staging.duplicates as d using forget_lines as l
  where l.file_id = d.file_id and l.line_number = d.line_number returning 1
)
insert into forget_removed select 'staging.duplicates', count(*) from removed;

with removed as (
  delete from staging.unmapped_events as u using forget_lines as l
  where l.file_id = u.file_id and l.line_number = u.line_number returning 1
)
insert into forget_removed select 'staging.unmapped_events', count(*) from removed;

with removed as (
  delete from staging.identity_messages as i using forget_lines as l
  where l.file_id = i.file_id and l.line_number = i.line_number returning 1
)
insert into forget_removed select 'staging.identity_messages', count(*) from removed;

with removed as (
  delete from staging.identity_links
  where source_id in (select id from forget_ids) or person_id in (select id from forget_ids)
  returning 1
)
insert into forget_removed select 'staging.identity_links', count(*) from removed;

-- 4. Core and the published analytics: every row of the person. What others' rows owe to the
--    person (an account's MRR, a document's creator) is rebuilt with the pending dates.
with removed as (delete from core.fact_events where user_id in (select id from forget_ids) returning 1)
insert into forget_removed select 'core.fact_events', count(*) from removed;

with removed as (
  delete from core.fact_daily_user_activity where user_id in (select id from forget_ids) returning 1
)
insert into forget_removed select 'core.fact_daily_user_activity', count(*) from removed;

with removed as (
  delete from core.fact_daily_user_features where user_id in (select id from forget_ids) returning 1
)
insert into forget_removed select 'core.fact_daily_user_features', count(*) from removed;

with removed as (delete from core.fact_sessions where user_id in (select id from forget_ids) returning 1)
insert into forget_removed select 'core.fact_sessions', count(*) from removed;

with removed as (delete from core.dim_users where user_id in (select id from forget_ids) returning 1)
insert into forget_removed select 'core.dim_users', count(*) from removed;

with removed as (delete from core.dim_user_accounts where user_id in (select id from forget_ids) returning 1)
insert into forget_removed select 'core.dim_user_accounts', count(*) from removed;

with removed as (
  delete from core.fact_subscription_changes where user_id in (select id from forget_ids) returning 1
)
insert into forget_removed select 'core.fact_subscription_changes', count(*) from removed;

-- The months the person's subscriptions counted in: their accounts' rows are built again.
with removed as (
  delete from core.fact_customer_mrr_monthly as m
  where m.paying_user_ids && array(select id from forget_ids)::text[]
  returning 1
)
insert into forget_removed select 'core.fact_customer_mrr_monthly', count(*) from removed;

with removed as (
  delete from core.dim_documents where created_by_user_id in (select id from forget_ids) returning 1
)
insert into forget_removed select 'core.dim_documents', count(*) from removed;

with removed as (
  delete from analytics.fact_daily_user_activity where user_id in (select id from forget_ids) returning 1
)
insert into forget_removed select 'analytics.fact_daily_user_activity', count(*) from removed;

with removed as (
  delete from analytics.fact_daily_user_features where user_id in (select id from forget_ids) returning 1
)
insert into forget_removed select 'analytics.fact_daily_user_features', count(*) from removed;

with removed as (delete from analytics.dim_users where user_id in (select id from forget_ids) returning 1)
insert into forget_removed select 'analytics.dim_users', count(*) from removed;

with removed as (
  delete from analytics.dim_documents where created_by_user_id in (select id from forget_ids) returning 1
)
insert into forget_removed select 'analytics.dim_documents', count(*) from removed;

with removed as (
  delete from analytics.churn_risk_scores where user_id in (select id from forget_ids) returning 1
)
insert into forget_removed select 'analytics.churn_risk_scores', count(*) from removed;

-- A failed check's sample may show the person's rows.
with cleared as (
  update ops.quality_results set sample = '[]'::jsonb
  where sample::text like any (array(select pattern from forget_patterns))
  returning 1
)
insert into forget_removed select 'ops.quality_results (samples)', count(*) from cleared;

-- 5. Raw, and the ledger: the lines leave the file's counts, and are counted as forgotten.
with removed as (
  delete from raw.events as e using forget_lines as l
  where l.file_id = e.file_id and l.line_number = e.line_number returning 1
)
insert into forget_removed select 'raw.events', count(*) from removed;

update raw.files as f
set line_count = f.line_count - o.lines,
    row_count = f.row_count - o.json_lines,
    invalid_line_count = f.invalid_line_count - (o.lines - o.json_lines),
    forgotten_lines = f.forgotten_lines + o.lines
from forget_files as o
where f.file_id = o.file_id;

-- 6. The audit and the tombstones: hashes only.
with salt as (select salt from ops.erasure_salt),

erasure as (
  insert into ops.erasures (id_hash, requested_by, rows_removed, dates_rebuilt, object_keys)
  select
    encode(sha256(convert_to(salt.salt || ':' || :user_id::text, 'UTF8')), 'hex'),
    :requested_by::text,
    (select jsonb_object_agg(table_name, rows order by table_name) from forget_removed),
    (select count(*) from ops.pending_dates),
    array(
      select f.object_key from raw.files as f
      where f.file_id in (select file_id from forget_files)
      order by f.object_key
    )
  from salt
  returning erasure_id, id_hash, rows_removed, dates_rebuilt
),

tombstones as (
  insert into ops.erased_ids (id_hash, erasure_id)
  select encode(sha256(convert_to(salt.salt || ':' || i.id, 'UTF8')), 'hex'), erasure.erasure_id
  from forget_ids as i
  cross join salt
  cross join erasure
  on conflict (id_hash) do nothing
  returning 1
)

select erasure.erasure_id, erasure.id_hash, (select count(*)::integer from forget_ids) as ids,
  erasure.rows_removed, erasure.dates_rebuilt as dates
from erasure;
