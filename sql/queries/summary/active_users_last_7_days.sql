-- Daily, weekly and monthly active users and stickiness on the last seven days published, oldest first.
select *
from (
  select activity_date, dau, wau, mau, stickiness
  from analytics.daily_active_users
  order by activity_date desc
  limit 7
) as last_days
order by activity_date
