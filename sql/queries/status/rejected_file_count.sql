-- How many files are rejected.
select count(*)::integer as n
from ops.rejected_files
