-- The last eight ISO weeks of the lifecycle: new, returning, resurrecting and dormant users.
select
  to_char(period_start, 'IYYY-"W"IW') as week,
  to_char(period_start, 'YYYY-MM-DD') as starts,
  max(users) filter (where status = 'new') as new,
  max(users) filter (where status = 'returning') as returning,
  max(users) filter (where status = 'resurrecting') as resurrecting,
  max(users) filter (where status = 'dormant') as dormant,
  case when bool_and(is_complete) then '' else 'incomplete' end as note
from (
  select * from analytics.user_lifecycle_weekly
  where period_start > (select max(period_start) from analytics.user_lifecycle_weekly) - 8 * 7
) as recent
group by period_start
order by period_start
