-- severity: error
-- description: Document events carry a document_id and feature_used events a feature_id.
select event_id, event_type, event_date
from core.fact_events
where event_date = any(:dates::date[])
  and ((event_type like 'document\_%' and document_id is null)
    or (event_type = 'feature_used' and feature_id is null))
