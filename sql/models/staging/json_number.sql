-- A JSON number as numeric; null for JSON null or absent.
create or replace function staging.json_number(value jsonb) returns numeric
language sql immutable parallel safe as $$
  select case when jsonb_typeof(value) = 'number' then value::numeric end
$$;
