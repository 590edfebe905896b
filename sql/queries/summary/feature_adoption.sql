-- Each feature's use, adoption and funnel, the most used first.
select
  feature_name,
  is_premium as premium,
  total_uses,
  unique_users,
  adoption_rate as "adoption %",
  repeated_users as repeated,
  habit_users as habit,
  avg_duration_seconds as "avg s"
from analytics.feature_adoption_funnel
order by total_uses desc
