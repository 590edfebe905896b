-- Day-1, day-7 and day-30 retention ("return on" the day; "on or after" in brackets) of the last six
-- weekly cohorts mature for day 30, in %.
with mature as (
  select cohort_week from analytics.user_retention_days
  where n = 30 and is_mature
  order by cohort_week desc
  limit 6
)

select
  to_char(d.cohort_week, 'IYYY-"W"IW') as cohort,
  max(d.cohort_size) as users,
  max(d.retained_on_day_rate || ' (' || d.retained_on_or_after_rate || ')') filter (where d.n = 1) as "day 1",
  max(d.retained_on_day_rate || ' (' || d.retained_on_or_after_rate || ')') filter (where d.n = 7) as "day 7",
  max(d.retained_on_day_rate || ' (' || d.retained_on_or_after_rate || ')') filter (where d.n = 30) as "day 30"
from analytics.user_retention_days as d
where d.cohort_week in (select cohort_week from mature)
group by d.cohort_week
order by d.cohort_week
