-- severity: warn
-- description: Every paid subscription state on the rebuilt dates has a price: an mrr or amount on its event, or a row of the price list for its plan, cycle and currency.
select event_id, user_id, to_plan as plan, to_billing_cycle as billing_cycle, to_currency as currency, change_date
from core.fact_subscription_changes
where change_date = any(:dates::date[])
  and price_source = 'unpriced'
