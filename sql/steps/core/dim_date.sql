-- Adds the calendar days from the first to the last event date, so that every fact date joins it
-- and the calendar has no gaps. Existing days are left as they are.
insert into core.dim_date (
  calendar_date, date_key, year, quarter, month, month_name, month_start_date, day_of_month,
  iso_day_of_week, day_name, iso_year, iso_week, week_start_date, is_weekend
)
with bounds as (
  select
    least((select min(d) from unnest(:dates::date[]) as d), (select min(calendar_date) from core.dim_date)) as first_date,
    greatest((select max(d) from unnest(:dates::date[]) as d), (select max(calendar_date) from core.dim_date)) as last_date
),

-- Integer offsets, not a timestamptz series: a series of dates would follow the session's time zone
-- and skip or repeat a day where daylight saving starts at midnight.
days as (
  select bounds.first_date + offset_days as calendar_date
  from bounds
  cross join lateral generate_series(0, bounds.last_date - bounds.first_date) as offset_days
)

select
  calendar_date,
  to_char(calendar_date, 'YYYYMMDD')::integer,
  extract(year from calendar_date),
  extract(quarter from calendar_date),
  extract(month from calendar_date),
  trim(to_char(calendar_date, 'Month')),
  date_trunc('month', calendar_date)::date,
  extract(day from calendar_date),
  extract(isodow from calendar_date),
  trim(to_char(calendar_date, 'Day')),
  extract(isoyear from calendar_date),
  extract(week from calendar_date),
  date_trunc('week', calendar_date)::date,
  extract(isodow from calendar_date) in (6, 7)
from days
on conflict (calendar_date) do nothing;
