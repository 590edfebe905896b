-- The revenue fields of the event contract (all optional, so every earlier file stays valid), typed in
-- staging.events. staging.raw_events_checked reads them and quarantines values a money column must not
-- hold (docs/metrics.md, section 7):
--   account_id  the customer account the user acts for: the top-level field when it holds an id,
--               else properties.account_id; an empty string is no account;
--   mrr         properties.mrr, monthly-equivalent, in the subscription's currency, a number >= 0;
--   amount      properties.amount, for one billing cycle (billing_cycle), a number >= 0;
--   currency    properties.currency, ISO 4217: three upper-case letters.
-- Amounts are numeric, kept exactly as sent: no float anywhere on the money path.
alter table staging.events
  add column account_id text collate "C",
  add column mrr numeric,
  add column amount numeric,
  add column currency text;
