-- Accounts and revenue in the core (docs/metrics.md, section 13). A customer is an account: the
-- account_id on the user's latest event, else the user alone, a one-person account (is_personal, with
-- the user's id as its account_id). Keys carry is_personal, so an account id that equals some user's
-- id never merges the two. Money is numeric throughout: no float on the money path.

-- One row per user and day with an event that names an account: the account of the day's latest such
-- event (ties: the greatest event_id). Rebuilt date by date, as the other daily facts.
create table core.fact_daily_user_accounts (
  user_id text collate "C" not null,
  activity_date date not null,
  account_id text collate "C" not null,
  account_event_at timestamptz not null,
  account_event_id text collate "C" not null,
  primary key (user_id, activity_date)
);
create index fact_daily_user_accounts_date_idx on core.fact_daily_user_accounts (activity_date);

-- One row per user: the account they act for, from their latest event that names one (ties: the
-- greatest event_id), else themselves; from the daily facts, so any order of loads gives the same row.
create table core.dim_user_accounts (
  user_id text collate "C" primary key,
  account_id text collate "C" not null,     -- the user's own id when is_personal
  is_personal boolean not null,
  account_event_at timestamptz,             -- the latest event naming the account; null when personal
  account_event_id text collate "C",
  first_event_at timestamptz not null,      -- the user's earliest event
  check (is_personal = (account_event_at is null))
);
create index dim_user_accounts_account_idx on core.dim_user_accounts (account_id, is_personal);

-- One row per account (customer) with at least one user.
create table core.dim_accounts (
  account_id text collate "C" not null,
  is_personal boolean not null,
  account_name text,                        -- company named by the latest sign-up among its users
  first_seen_at timestamptz not null,       -- the earliest event of any of its users
  first_seen_date date not null,
  users integer not null check (users > 0),
  primary key (account_id, is_personal)
);

-- One row per subscription event (and per user's first user_signed_up, whose plan opens the
-- subscription, as in dim_users): the user's subscription before and after it, what it is worth, and
-- what it did to the account's MRR in its currency at that instant.
create table core.fact_subscription_changes (
  event_id text collate "C" primary key,
  event_type text collate "C" not null,
  changed_at timestamptz not null,          -- when the state takes effect (see docs)
  change_date date not null,
  user_change_number integer not null,      -- 1..n per user, in time order
  user_id text collate "C" not null,
  account_id text collate "C" not null,
  is_personal boolean not null,
  from_plan text,                           -- null: no earlier state of the user
  to_plan text not null,
  subscription_status text not null check (subscription_status in ('active', 'cancelled')),
  from_billing_cycle text,
  to_billing_cycle text,
  from_currency text,
  to_currency text,
  from_mrr numeric not null check (from_mrr >= 0),
  to_mrr numeric not null check (to_mrr >= 0),
  price_source text not null check (price_source in ('mrr', 'amount', 'price_list', 'free', 'cancelled', 'unpriced')),
  account_mrr_before numeric not null,      -- the account's MRR in to_currency just before the event
  account_mrr_after numeric not null,       -- and just after it
  movement text not null check (movement in ('new', 'reactivation', 'expansion', 'contraction', 'churn', 'unchanged')),
  unique (user_id, user_change_number)
);
create index fact_subscription_changes_account_idx on core.fact_subscription_changes (account_id, is_personal);
create index fact_subscription_changes_user_idx on core.fact_subscription_changes (user_id);
create index fact_subscription_changes_date_idx on core.fact_subscription_changes (change_date);

-- One row per account, currency and month in which its MRR at the start or the end of the month is
-- above 0: the month-end MRR, the one before, and the month's movement. Rebuilt account by account
-- from the first month a new event can change.
create table core.fact_customer_mrr_monthly (
  account_id text collate "C" not null,
  is_personal boolean not null,
  currency text not null,
  month date not null check (extract(day from month) = 1),
  previous_mrr numeric not null check (previous_mrr >= 0), -- at the end of the month before
  mrr numeric not null check (mrr >= 0),                   -- at the end of the month
  movement text not null check (movement in ('new', 'reactivation', 'expansion', 'contraction', 'churn', 'none')),
  movement_mrr numeric not null check (movement_mrr >= 0),
  paying_users integer not null,
  paying_user_ids text[] collate "C" not null,             -- the users whose subscriptions make up mrr
  primary key (account_id, is_personal, currency, month),
  check (mrr > 0 or previous_mrr > 0)
);
create index fact_customer_mrr_monthly_users_idx on core.fact_customer_mrr_monthly using gin (paying_user_ids);
