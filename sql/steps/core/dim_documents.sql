-- Upserts each document with events on the pending dates :dates. Created from its document_created
-- event, else from the first event that names it; deleted once a document_deleted event arrives.
-- first_seen_at only moves earlier, so rebuilding any set of dates in any order gives the same row.
insert into core.dim_documents (
  document_id, created_by_user_id, title, template, created_at, created_date, creation_source,
  first_seen_at, deleted_at, is_deleted
)
with touched as (
  select document_id, min(event_at) as first_seen_at
  from staging.events
  where event_date = any(:dates::date[]) and document_id is not null
  group by document_id
),

-- The lifecycle predicate repeats the partial index's, so this reads only a document's lifecycle events.
lifecycle as (
  select e.document_id, e.event_id, e.event_type, e.event_at, e.user_id, e.title, e.template
  from staging.events as e
  where e.event_type in ('document_created', 'document_deleted')
    and e.document_id in (select document_id from touched)
),

created as (
  select distinct on (document_id) document_id, event_at, user_id, title, template
  from lifecycle
  where event_type = 'document_created'
  order by document_id, event_at, event_id
),

deleted as (
  select document_id, min(event_at) as deleted_at
  from lifecycle
  where event_type = 'document_deleted'
  group by document_id
)

select
  touched.document_id,
  created.user_id,
  created.title,
  created.template,
  coalesce(created.event_at, touched.first_seen_at),
  (coalesce(created.event_at, touched.first_seen_at) at time zone (select time_zone from ops.reporting_time_zone))::date,
  case when created.document_id is not null then 'document_created' else 'first_event' end,
  touched.first_seen_at,
  deleted.deleted_at,
  deleted.deleted_at is not null
from touched
left join created on created.document_id = touched.document_id
left join deleted on deleted.document_id = touched.document_id
on conflict (document_id) do update set
  created_by_user_id = excluded.created_by_user_id,
  title = excluded.title,
  template = excluded.template,
  first_seen_at = least(dim_documents.first_seen_at, excluded.first_seen_at),
  created_at = case when excluded.creation_source = 'document_created' then excluded.created_at
    else least(dim_documents.first_seen_at, excluded.first_seen_at) end,
  created_date = (case when excluded.creation_source = 'document_created' then excluded.created_at
    else least(dim_documents.first_seen_at, excluded.first_seen_at) end at time zone (select time_zone from ops.reporting_time_zone))::date,
  creation_source = excluded.creation_source,
  deleted_at = excluded.deleted_at,
  is_deleted = excluded.is_deleted;
