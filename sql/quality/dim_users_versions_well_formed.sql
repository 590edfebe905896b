-- severity: error
-- description: Each user in core.dim_users has exactly one current version, numbered 1..n, and each version ends where the next begins.
with versions as (
  select
    user_id, version_number, valid_from, valid_to, is_current,
    lead(valid_from) over (partition by user_id order by valid_from) as next_valid_from,
    row_number() over (partition by user_id order by valid_from) as expected_number
  from core.dim_users
)

select user_id, version_number, valid_from, valid_to, is_current
from versions
where version_number <> expected_number
  or valid_to is distinct from next_valid_from
  or is_current <> (valid_to is null)
