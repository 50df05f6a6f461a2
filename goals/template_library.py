"""The standard library of goal templates: common Customer Success goals to start from.

Seeded by migration 0008 and by `seed_demo` (`templates_seed`); admins add and edit more in
Django admin. Each entry holds the fields of a GoalTemplate.
"""

from decimal import Decimal

STANDARD_TEMPLATES: list[dict] = [
    {
        "name": "Net revenue retention >= 110 %",
        "description": (
            "Grow the revenue of the customers we start the period with: expansions outweigh "
            "contractions and churn. 110 % is a healthy B2B benchmark."
        ),
        "goal_type": "metric",
        "metric_key": "nrr",
        "direction": "increase",
        "target": Decimal("110"),
        "stretch_target": Decimal("115"),
        "cascade_rule": "same_target",
    },
    {
        "name": "Gross retention at or above 90 %",
        "description": (
            "Keep the revenue we start the period with: churn and contraction stay under 10 %. "
            "A floor to hold all period, judged when the period closes."
        ),
        "goal_type": "metric",
        "metric_key": "grr",
        "direction": "maintain",
        "maintain_side": "floor",
        "target": Decimal("90"),
        "stretch_target": Decimal("95"),
        "cascade_rule": "same_target",
    },
    {
        "name": "Renewal rate >= 90 %",
        "description": "Renew at least nine in ten of the customers whose renewal falls due.",
        "goal_type": "metric",
        "metric_key": "renewal_rate",
        "direction": "increase",
        "target": Decimal("90"),
        "stretch_target": Decimal("95"),
        "cascade_rule": "same_target",
    },
    {
        "name": "NPS >= 40",
        "description": "Customers recommend us: promoters outnumber detractors by 40 points.",
        "goal_type": "metric",
        "metric_key": "nps",
        "direction": "increase",
        "target": Decimal("40"),
        "stretch_target": Decimal("50"),
        "cascade_rule": "same_target",
    },
    {
        "name": "QBR completion 100 % of strategic accounts",
        "description": (
            "Hold a quarterly business review with every active strategic account this quarter."
        ),
        "goal_type": "metric",
        "metric_key": "qbr_completion",
        "direction": "increase",
        "target": Decimal("100"),
        "cascade_rule": "same_target",
    },
    {
        "name": "Onboard new customers in <= 30 days",
        "description": (
            "Average days from signature to a live customer, entered by hand as the period goes."
        ),
        "goal_type": "metric",
        "direction": "decrease",
        "unit": "days",
        "target": Decimal("30"),
        "stretch_target": Decimal("21"),
        "cascade_rule": "same_target",
    },
    {
        "name": "Run N executive business reviews",
        "description": "Executive business reviews with our largest accounts' leadership.",
        "goal_type": "task",
        "task_target": 6,
        "cascade_rule": "split_count",
    },
    {
        "name": "Launch a customer advisory board",
        "description": "A board of customer leaders who shape the roadmap with us.",
        "goal_type": "milestone",
        "milestones": [
            "Invite the members",
            "Hold the first meeting",
            "Share what we heard with the product team",
        ],
        "cascade_rule": "team_only",
    },
]
