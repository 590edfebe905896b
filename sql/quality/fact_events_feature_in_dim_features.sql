-- severity: error
-- description: Every fact's feature_id has a row in core.dim_features.
select f.feature_id, count(*) as events
from core.fact_events as f
where f.event_date = any(:dates::date[])
  and f.feature_id is not null
  and not exists (select 1 from core.dim_features as d where d.feature_id = f.feature_id)
group by f.feature_id
