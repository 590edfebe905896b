-- Rebuilds the event facts of the pending dates :dates from staging: delete, then insert. Each event
-- is its person's (docs/metrics.md, section 14): its userId's, or where a link takes that id
-- (staging.identity_links: an alias); an event with only an anonymousId is the linked person's, or,
-- with no link, an anonymous person's, named by the anonymous id.
delete from core.fact_events where event_date = any(:dates::date[]);

insert into core.fact_events (
  event_id, event_date, event_at, event_type, user_id, session_id, document_id, feature_id, platform,
  edit_duration_seconds, characters_added, duration_seconds, account_id, person_source, browser_family, os_family
)
select
  e.event_id, e.event_date, e.event_at, e.event_type,
  coalesce(l.person_id, e.user_id, e.anonymous_id),
  e.session_id, e.document_id, e.feature_id, e.platform, e.edit_duration_seconds, e.characters_added,
  e.duration_seconds, e.account_id,
  case
    when e.user_id is not null then 'user_id'
    when l.person_id is not null then 'identity_link'
    else 'anonymous'
  end,
  e.browser_family, e.os_family
from staging.events as e
left join staging.identity_links as l on l.source_id = coalesce(e.user_id, e.anonymous_id)
where e.event_date = any(:dates::date[]);
