-- Users per churn-risk category as of A, from least to most at risk.
select churn_risk_category, count(*)::integer as user_count, round(avg(churn_risk_score))::integer as average_score
from analytics.churn_risk_scores
group by churn_risk_category
order by array_position(array['active', 'low', 'medium', 'high'], churn_risk_category)
