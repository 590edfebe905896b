-- Adds any feature_id seen on the pending dates :dates that is not in the catalogue yet.
insert into core.dim_features (feature_id, feature_name, feature_category, is_premium, is_catalogued)
select feature_id, coalesce(max(feature_name), feature_id), 'uncatalogued', false, false
from staging.events
where event_date = any(:dates::date[]) and event_type = 'feature_used' and feature_id is not null
group by feature_id
on conflict (feature_id) do nothing;
