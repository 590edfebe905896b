-- Use of each feature inside each requested range of days [start, end], up to A: total uses, unique
-- users, and the funnel of analytics.feature_adoption_funnel counted inside the range (tried: any use;
-- repeated: uses on 2 or more days; habit: uses in 3 or more ISO weeks). For the range from the first
-- day to A the numbers equal that view's. Every feature used by A gets a row in every range, with
-- zeros where the range has no use, so that switching ranges never makes a feature disappear.
with as_of as (
  select as_of_date from analytics.as_of
),

ranges as (
  select range_index::integer as range_index, range_start, least(range_end, as_of.as_of_date) as range_end
  from unnest(:range_starts::date[], :range_ends::date[]) with ordinality as r (range_start, range_end, range_index)
  cross join as_of
),

features as (
  select feature_id, feature_name, is_premium
  from analytics.feature_adoption_funnel
),

uses as (
  select ranges.range_index, f.feature_id, f.user_id, f.activity_date, f.use_count
  from ranges
  inner join analytics.fact_daily_user_features as f
    on f.activity_date between ranges.range_start and ranges.range_end
),

per_user as (
  select
    range_index,
    feature_id,
    user_id,
    sum(use_count) as use_count,
    count(*) as days_used,
    count(distinct date_trunc('week', activity_date)) as weeks_used
  from uses
  group by range_index, feature_id, user_id
),

per_feature as (
  select
    range_index,
    feature_id,
    sum(use_count)::bigint as total_uses,
    count(*)::integer as unique_users,
    (count(*) filter (where days_used >= 2))::integer as repeated_users,
    (count(*) filter (where weeks_used >= 3))::integer as habit_users
  from per_user
  group by range_index, feature_id
)

select
  ranges.range_index,
  features.feature_id,
  features.feature_name,
  features.is_premium,
  coalesce(p.total_uses, 0) as total_uses,
  coalesce(p.unique_users, 0) as unique_users,
  coalesce(p.repeated_users, 0) as repeated_users,
  coalesce(p.habit_users, 0) as habit_users
from ranges
cross join features
left join per_feature as p on p.range_index = ranges.range_index and p.feature_id = features.feature_id
order by ranges.range_index, total_uses desc, features.feature_id
