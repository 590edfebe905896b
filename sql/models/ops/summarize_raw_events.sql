-- Summarizes the new block ranges of raw.events' BRIN index before staging reads them. Only a table's
-- owner may, and the pipeline's roles own nothing: this runs with the owner's rights, for that one index.
create or replace function ops.summarize_raw_events() returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  perform brin_summarize_new_values('raw.events_file_id_brin'::regclass);
end
$$;

revoke all on function ops.summarize_raw_events() from public;
grant execute on function ops.summarize_raw_events() to saas_transformer;
