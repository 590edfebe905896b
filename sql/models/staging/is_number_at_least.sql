-- True when the JSON value is absent, null, or a number >= minimum that fits an integer column.
-- The range applies to the value as stored: 2147483647.5 rounds to 2147483648, which no integer holds.
create or replace function staging.is_number_at_least(value jsonb, minimum numeric) returns boolean
language sql immutable parallel safe as $$
  select case
    when value is null or jsonb_typeof(value) = 'null' then true
    when jsonb_typeof(value) <> 'number' then false
    else round(value::numeric) between minimum and 2147483647
  end
$$;
