-- An IP address as staging stores it (docs/metrics.md, section 7): IPv4 to its /24 (203.0.113.0),
-- IPv6 to its /48 (2001:db8:85a3::), or whole with keep_whole (staging.raw_events_checked passes the
-- session's saas_pipeline.full_ip_addresses, the setting FULL_IP_ADDRESSES, read once a statement). Text that is not an address a strict pattern accepts is
-- stored as null: the pattern admits only what the inet cast takes, so no value can fail the
-- statement (an IPv6 address with a zone, an embedded IPv4 part or more than 7 colons is not kept).
create or replace function staging.truncated_ip(ip text, keep_whole boolean) returns text
language sql immutable parallel safe as $$
  select case
    when ip is null or ip = '' then null
    when ip ~ '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$'
      then case when keep_whole then ip else host(set_masklen(ip::inet, 24)::cidr) end
    when length(ip) <= 39
      and length(ip) - length(replace(ip, ':', '')) between 2 and 7
      and ip ~* '^(([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(([0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?::(([0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?)$'
      then case when keep_whole then lower(ip) else host(set_masklen(ip::inet, 48)::cidr) end
  end
$$;
