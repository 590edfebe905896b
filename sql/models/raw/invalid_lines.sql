-- The lines loading could not store as jsonb: the raw.events rows without a payload, with the reason
-- and the parser's message, in the shape of the table they replaced (sql/migrations/0013).
create or replace view raw.invalid_lines as
select file_id, line_number, line, line_reason as reason, line_error as error, loaded_at
from raw.events
where payload is null;

grant select on raw.invalid_lines to saas_transformer;
