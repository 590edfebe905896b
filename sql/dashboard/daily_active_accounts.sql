-- DAA, WAA and MAA for every day up to A; the page filters the days of its range.
select activity_date, daa, waa, maa
from analytics.daily_active_accounts
order by activity_date
