-- The published as-of date, when readers already see what refreshing and publishing now would give
-- them; no row otherwise. The caller has staged no file and found no date pending (whatever changes
-- the core marks its dates pending until a run that publishes them succeeds). Here: the published
-- date is the one this run would set (:as_of, else the latest day with activity), and the run that
-- published it started after the last change to the schema, to a view (a view applied again is
-- empty until refreshed, and a changed one gives other figures) and to the seeds.
select published.as_of_date::text as as_of_date
from analytics.as_of as published
inner join ops.runs as publisher on publisher.run_id = published.run_id
where published.as_of_date
    = coalesce(:as_of::date, (select max(activity_date) from core.fact_daily_user_activity))
  and publisher.started_at > (
    select max(changes.applied_at)
    from (
      select applied_at from ops.schema_migrations
      union all
      select applied_at from ops.schema_models
      union all
      select applied_at from ops.seeds
    ) as changes
  );
