-- Executive Overview, "Feature adoption": per feature used by the as-of date, its users and uses and
-- the tried / repeated / habit funnel, for a bar chart of the funnel per feature.
with features as (
  select feature_name, unique_users, total_uses, tried_users, repeated_users, habit_users
  from analytics.feature_adoption_funnel
)

select feature_name, unique_users, total_uses, tried_users, repeated_users, habit_users
from features
order by unique_users desc, total_uses desc, feature_name
