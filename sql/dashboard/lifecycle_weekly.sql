-- The weekly lifecycle (docs/metrics.md, section 16), one row per ISO week, Monday to Sunday, from the
-- first with activity to the one holding A: users new, returning, resurrecting and dormant in it, as
-- counts (the page draws dormant below zero). The last week is incomplete: it ends after A. The page
-- shows the weeks that start in its range.
select
  period_start,
  period_end,
  coalesce(sum(users) filter (where status = 'new'), 0)::integer as new_users,
  coalesce(sum(users) filter (where status = 'returning'), 0)::integer as returning_users,
  coalesce(sum(users) filter (where status = 'resurrecting'), 0)::integer as resurrecting_users,
  coalesce(sum(users) filter (where status = 'dormant'), 0)::integer as dormant_users,
  bool_and(is_complete) as is_complete
from analytics.user_lifecycle_weekly
group by period_start, period_end
order by period_start
