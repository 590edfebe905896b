-- The erasure requests of the last 90 days and what became of each: carried out (with its audit row in
-- ops.erasures) or rejected with a reason, the file left in the bucket until it is fixed.
select r.object_key, r.status, coalesce(r.reason, '') as reason, coalesce(r.erasure_id::text, '') as erasure,
  to_char(r.handled_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as handled_at_utc
from ops.erasure_requests as r
where r.handled_at > now() - interval '90 days'
order by r.handled_at desc, r.object_key
limit 10;
