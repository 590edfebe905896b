-- The as-of date of what readers see.
select as_of_date
from analytics.as_of
