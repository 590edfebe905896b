-- An ISO-8601 timestamp with a `Z` or numeric offset as timestamptz; null for any other shape. With
-- `saas_pipeline.safe_casts = on`, a well-shaped but impossible value (2024-02-30) is null too, through
-- staging.try_timestamptz (see there why that is not the default).
create or replace function staging.parse_event_timestamp(value text) returns timestamptz
language sql stable parallel unsafe as $$
  select case
    when (value like '____-__-__T__:__:__%' or value like '____-__-__ __:__:__%')
      and (value like '%Z' or value like '%z'
        or substr(value, 20) like '%+__:__' or substr(value, 20) like '%-__:__'
        or substr(value, 20) like '%+____' or substr(value, 20) like '%-____'
        or substr(value, 20) like '%+__' or substr(value, 20) like '%-__')
    then case
      when current_setting('saas_pipeline.safe_casts', true) = 'on' then staging.try_timestamptz(value)
      else value::timestamptz
    end
  end
$$;
