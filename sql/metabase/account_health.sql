-- Accounts, "Account health: paying accounts at risk": paying accounts whose health is at_risk as of
-- A, the most MRR first (in each account's main currency, shown beside it), as the dashboard ranks them.
with at_risk as (
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
)

select
  coalesce(account_name, account_id) as account,
  case when is_personal then 'personal' else 'company' end as account_kind,
  current_mrr,
  currency,
  users,
  active_users_30d,
  last_active_date,
  days_since_last_activity,
  account_health_score
from at_risk
order by current_mrr desc, account_health_score, account_id, is_personal
