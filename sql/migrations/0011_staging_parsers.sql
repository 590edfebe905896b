-- Parsers that return null instead of raising, so that one bad value quarantines its row instead of
-- failing the whole staging statement. Plain SQL expressions (no exception blocks, which would open a
-- subtransaction per row), inlined by the planner.

-- ISO-8601 with a `Z` or numeric offset, years 1900-2099. Every string the pattern accepts casts
-- without error once the day is checked against the month's length.
create function staging.parse_event_timestamp(value text) returns timestamptz
language sql stable parallel safe as $$
  select case
    when value ~ '^(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|z|[+-](0\d|1[0-4])(:?[0-5]\d)?)$'
      and (substr(value, 9, 2) <= '28'
        or substr(value, 9, 2)::integer <= extract(day from
          date_trunc('month', make_date(substr(value, 1, 4)::integer, substr(value, 6, 2)::integer, 1))
          + interval '1 month - 1 day'))
    then value::timestamptz
  end
$$;

-- True when the JSON value is absent, null, or a number >= minimum that fits an integer column.
create function staging.is_number_at_least(value jsonb, minimum numeric) returns boolean
language sql immutable parallel safe as $$
  select case
    when value is null or jsonb_typeof(value) = 'null' then true
    when jsonb_typeof(value) <> 'number' then false
    else (value::text)::numeric between minimum and 2147483647
  end
$$;
