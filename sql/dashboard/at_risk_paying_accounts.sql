-- The paying accounts whose health is at_risk as of A, the most MRR first: the ones to call. MRR is in
-- each account's main currency (account_health never adds currencies), so the ranking compares
-- amounts of different currencies only when accounts pay in different ones; the currency is shown.
select
  account_id,
  is_personal,
  account_name,
  current_mrr,
  currency,
  users,
  active_users_30d,
  last_active_date,
  days_since_last_activity,
  account_health_score
from analytics.account_health
where is_paying
  and account_health_category = 'at_risk'
order by current_mrr desc, account_health_score, account_id, is_personal
limit :limit
