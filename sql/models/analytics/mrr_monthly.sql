-- One row per month and currency, from the currency's first month with MRR to the month of the as-of
-- date A: MRR at the start and the end of the month, the five movements in amount and customers,
-- paying customers, ARPPC, logo churn and revenue retention (docs/metrics.md, section 13). Currencies
-- are never summed.
--
-- The months before the month of A are the core's month-end snapshots (core.fact_customer_mrr_monthly),
-- carried on unchanged past its last month when A is later. The month of A is taken at the end of day
-- A, from each user's subscription state in force then (core.fact_subscription_changes), and is never
-- complete. A month starts where the month before ended, so the quality check that the movements add
-- up (sql/quality/analytics_mrr_movements_add_up.sql) also checks the snapshots against each other.
--
-- Built in analytics_build, which only the pipeline reads; readers get the published copy in
-- analytics (sql/steps/analytics/publish.sql). Created empty: every run refreshes it before its
-- checks and the publication (ops.refresh_build_view), and a publication from an empty one fails.
drop materialized view if exists analytics_build.mrr_monthly;
create materialized view analytics_build.mrr_monthly as
with as_of as (
  select
    as_of_date,
    (as_of_date + 1)::timestamp at time zone (select time_zone from ops.reporting_time_zone) as as_of_end,
    -- Months as integer offsets (year * 12 + month - 1): no time zone can shift them.
    (extract(year from as_of_date) * 12 + extract(month from as_of_date) - 1)::integer as as_of_month
  from ops.analytics_as_of
),

facts as (
  select
    f.account_id, f.is_personal, f.currency,
    (extract(year from f.month) * 12 + extract(month from f.month) - 1)::integer as month_index,
    f.mrr, f.movement, f.movement_mrr
  from core.fact_customer_mrr_monthly as f
),

last_built as (
  select max(month_index) as month_index from facts
),

-- Month-ends before the month of A, as built.
built as (
  select facts.*
  from facts
  cross join as_of
  where facts.month_index < as_of.as_of_month
),

-- When A is past the core's last month (no event since), every paying account keeps its MRR.
carried as (
  select f.account_id, f.is_personal, f.currency, m.month_index, f.mrr, 'none' as movement, 0.00 as movement_mrr
  from facts as f
  cross join as_of
  cross join last_built
  cross join lateral generate_series(last_built.month_index + 1, as_of.as_of_month - 1) as m (month_index)
  where f.month_index = last_built.month_index and f.mrr > 0
),

before_a as (
  select * from built
  union all
  select * from carried
),

-- The month of A, at the end of day A: each user's latest state by then.
states_at_a as (
  select distinct on (s.user_id) s.account_id, s.is_personal, s.to_currency as currency, s.to_mrr as mrr
  from core.fact_subscription_changes as s
  cross join as_of
  where s.changed_at < as_of.as_of_end
  order by s.user_id, s.user_change_number desc
),

at_a as (
  select account_id, is_personal, currency, sum(mrr) as mrr
  from states_at_a
  where mrr > 0
  group by account_id, is_personal, currency
),

month_of_a as (
  select
    coalesce(a.account_id, p.account_id) as account_id,
    coalesce(a.is_personal, p.is_personal) as is_personal,
    coalesce(a.currency, p.currency) as currency,
    coalesce(a.mrr, 0.00) as mrr,
    coalesce(p.mrr, 0.00) as previous_mrr,
    exists (
      select 1 from before_a as b
      where b.account_id = coalesce(a.account_id, p.account_id)
        and b.is_personal = coalesce(a.is_personal, p.is_personal)
        and b.currency = coalesce(a.currency, p.currency)
        and b.mrr > 0
    ) as has_paid_before
  from at_a as a
  full join (
    select b.* from before_a as b cross join as_of where b.month_index = as_of.as_of_month - 1 and b.mrr > 0
  ) as p
    on p.account_id = a.account_id and p.is_personal = a.is_personal and p.currency = a.currency
),

classified_a as (
  select
    m.account_id, m.is_personal, m.currency, as_of.as_of_month as month_index, m.mrr,
    case
      when m.previous_mrr = 0 and m.mrr > 0 then case when m.has_paid_before then 'reactivation' else 'new' end
      when m.previous_mrr > 0 and m.mrr = 0 then 'churn'
      when m.previous_mrr > 0 and m.mrr > m.previous_mrr then 'expansion'
      when m.mrr > 0 and m.mrr < m.previous_mrr then 'contraction'
      else 'none'
    end as movement,
    m.previous_mrr
  from month_of_a as m
  cross join as_of
),

account_months as (
  select account_id, is_personal, currency, month_index, mrr, movement, movement_mrr
  from before_a
  union all
  select
    account_id, is_personal, currency, month_index, mrr, movement,
    case movement
      when 'new' then mrr
      when 'reactivation' then mrr
      when 'expansion' then mrr - previous_mrr
      when 'contraction' then previous_mrr - mrr
      when 'churn' then previous_mrr
      else 0.00
    end
  from classified_a
),

per_month as (
  select
    currency,
    month_index,
    sum(mrr) as ending_mrr,
    coalesce(sum(movement_mrr) filter (where movement = 'new'), 0.00) as new_mrr,
    coalesce(sum(movement_mrr) filter (where movement = 'reactivation'), 0.00) as reactivation_mrr,
    coalesce(sum(movement_mrr) filter (where movement = 'expansion'), 0.00) as expansion_mrr,
    coalesce(sum(movement_mrr) filter (where movement = 'contraction'), 0.00) as contraction_mrr,
    coalesce(sum(movement_mrr) filter (where movement = 'churn'), 0.00) as churn_mrr,
    count(*) filter (where movement = 'new')::integer as new_customers,
    count(*) filter (where movement = 'reactivation')::integer as reactivated_customers,
    count(*) filter (where movement = 'expansion')::integer as expanded_customers,
    count(*) filter (where movement = 'contraction')::integer as contracted_customers,
    count(*) filter (where movement = 'churn')::integer as churned_customers,
    count(*) filter (where mrr > 0)::integer as paying_customers
  from account_months
  group by currency, month_index
),

-- Every month of each currency, from its first month with MRR to the month of A, with or without rows.
months as (
  select c.currency, m.month_index
  from (select currency, min(month_index) as first_month from per_month where ending_mrr > 0 group by currency) as c
  cross join as_of
  cross join lateral generate_series(c.first_month, as_of.as_of_month) as m (month_index)
),

filled as (
  select
    months.currency,
    months.month_index,
    coalesce(p.ending_mrr, 0.00) as ending_mrr,
    coalesce(p.new_mrr, 0.00) as new_mrr,
    coalesce(p.reactivation_mrr, 0.00) as reactivation_mrr,
    coalesce(p.expansion_mrr, 0.00) as expansion_mrr,
    coalesce(p.contraction_mrr, 0.00) as contraction_mrr,
    coalesce(p.churn_mrr, 0.00) as churn_mrr,
    coalesce(p.new_customers, 0) as new_customers,
    coalesce(p.reactivated_customers, 0) as reactivated_customers,
    coalesce(p.expanded_customers, 0) as expanded_customers,
    coalesce(p.contracted_customers, 0) as contracted_customers,
    coalesce(p.churned_customers, 0) as churned_customers,
    coalesce(p.paying_customers, 0) as paying_customers
  from months
  left join per_month as p on p.currency = months.currency and p.month_index = months.month_index
),

with_start as (
  select
    filled.*,
    coalesce(lag(ending_mrr) over by_month, 0.00) as starting_mrr,
    coalesce(lag(paying_customers) over by_month, 0) as paying_customers_before
  from filled
  window by_month as (partition by currency order by month_index)
)

select
  make_date(w.month_index / 12, w.month_index % 12 + 1, 1) as month,
  w.currency,
  w.starting_mrr,
  w.new_mrr,
  w.reactivation_mrr,
  w.expansion_mrr,
  w.contraction_mrr,
  w.churn_mrr,
  w.ending_mrr,
  w.new_customers,
  w.reactivated_customers,
  w.expanded_customers,
  w.contracted_customers,
  w.churned_customers,
  w.paying_customers,
  round(w.ending_mrr / nullif(w.paying_customers, 0), 2) as arppc,
  round(w.churned_customers::numeric / nullif(w.paying_customers_before, 0), 4) as logo_churn_rate,
  round((w.starting_mrr - w.contraction_mrr - w.churn_mrr) / nullif(w.starting_mrr, 0), 4)
    as gross_revenue_retention,
  round((w.starting_mrr + w.expansion_mrr - w.contraction_mrr - w.churn_mrr) / nullif(w.starting_mrr, 0), 4)
    as net_revenue_retention,
  w.month_index < as_of.as_of_month as is_complete,
  as_of.as_of_date
from with_start as w
cross join as_of
with no data;

create unique index mrr_monthly_pk on analytics_build.mrr_monthly (month, currency);

grant select on analytics_build.mrr_monthly to saas_transformer;
