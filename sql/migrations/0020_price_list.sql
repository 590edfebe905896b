-- Seeds: tables whose rows come from a file users edit, sql/seeds/<name>.csv, loaded by the migrator
-- whenever the file changes (lambdas/warehouse/seeds.ts). This is its record, as ops.schema_models is
-- for the models.
create table ops.seeds (
  name text primary key,                    -- the file under sql/seeds, without .csv
  checksum text not null,                   -- sha256 of the file as loaded
  applied_at timestamptz not null default now()
);
revoke all on ops.seeds from saas_transformer;
grant select on ops.seeds to saas_loader, saas_transformer;

-- The price list (sql/seeds/price_list.csv): what a subscription costs when its event carries neither
-- mrr nor amount. price is for one billing period, exact; cycle_months turns it into MRR.
create table core.price_list (
  plan text not null,                       -- lower-cased, as core.dim_users has plans
  billing_cycle text not null check (billing_cycle in ('monthly', 'annual')),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  price numeric not null check (price >= 0),
  cycle_months smallint not null check (cycle_months = case billing_cycle when 'monthly' then 1 else 12 end),
  position integer not null unique,         -- the row's place in the file: the first currency listed is the default
  primary key (plan, billing_cycle, currency)
);
-- Only the migrator loads it; the steps read it.
revoke insert, update, delete on core.price_list from saas_transformer;
