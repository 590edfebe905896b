-- severity: error
-- description: Every fact's document_id has a row in core.dim_documents.
select f.document_id, count(*) as events
from core.fact_events as f
where f.event_date = any(:dates::date[])
  and f.document_id is not null
  and not exists (select 1 from core.dim_documents as d where d.document_id = f.document_id)
group by f.document_id
