-- Browser and OS families, parsed once per distinct user agent with ua-parser-js when a file loads
-- (lambdas/warehouse/user-agents.ts), so that analytics can use coarse attributes instead of the full
-- user agent, which stays where BI cannot read it (docs/metrics.md, section 7).
create table raw.user_agents (
  user_agent text collate "C" primary key,
  browser_family text,
  os_family text,
  device_type text,
  parsed_at timestamptz not null default now()
);
grant select, insert on raw.user_agents to saas_loader;

alter table staging.events
  add column browser_family text,
  add column os_family text,
  add column device_type text;
alter table core.fact_events
  add column browser_family text,
  add column os_family text;
