-- Adds any feature_id seen on the pending dates :dates that is not in the catalogue yet, from any event
-- type. Its name is the smallest feature_name any staged event gives it (else the id), taken over all
-- of history, so the same data gives the same name whatever the order it was loaded in.
insert into core.dim_features (feature_id, feature_name, feature_category, is_premium, is_catalogued)
with new_ids as (
  select distinct e.feature_id
  from staging.events as e
  where e.event_date = any(:dates::date[])
    and e.feature_id is not null
    and not exists (select 1 from core.dim_features as f where f.feature_id = e.feature_id and f.is_catalogued)
),

names as (
  select e.feature_id, min(e.feature_name) as feature_name
  from staging.events as e
  where e.feature_id in (select feature_id from new_ids)
  group by e.feature_id
)

select new_ids.feature_id, coalesce(names.feature_name, new_ids.feature_id), 'uncatalogued', false, false
from new_ids
left join names on names.feature_id = new_ids.feature_id
on conflict (feature_id) do update set feature_name = excluded.feature_name
  where not dim_features.is_catalogued;
