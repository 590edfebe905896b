-- DAU, WAU, MAU and stickiness for every day up to A; the page filters the days of its range.
select activity_date, dau, wau, mau, stickiness
from analytics.daily_active_users
order by activity_date
