-- Sessions of signed-up users per day up to A, per platform and for all of them together ('all'), with
-- the median and 90th-percentile duration (docs/metrics.md, section 17). A day without a session has
-- no row. The page shows the days of its range.
select
  session_date,
  platform,
  sessions,
  users,
  median_duration_seconds,
  p90_duration_seconds,
  sessions_per_user
from analytics.session_metrics
order by session_date, platform
