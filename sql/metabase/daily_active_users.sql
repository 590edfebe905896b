-- Executive Overview, "Active users": DAU, WAU and MAU per day up to the as-of date, one row per day
-- (days without activity included), for a line chart with the day on the x axis.
with daily_active_users as (
  select activity_date, dau, wau, mau
  from analytics.daily_active_users
)

select activity_date, dau, wau, mau
from daily_active_users
order by activity_date
