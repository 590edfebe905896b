-- Users and their average churn-risk score per category, from active to high risk.
select
  churn_risk_category as category,
  count(*) as users,
  round(avg(churn_risk_score)) as avg_score
from analytics.churn_risk_scores
group by churn_risk_category
order by array_position(array['active', 'low', 'medium', 'high'], churn_risk_category)
