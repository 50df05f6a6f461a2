"""Demo check-ins: a few weeks of them on the demo goals, one blocker, one open support request
and a member who missed two weeks (the lead's queue and digest show all of it).

Runs after the goals demo (it checks in on the goals it finds); running it again changes nothing.
"""

from datetime import timedelta

from django.db import transaction

from goals.models import Goal, GoalPeriod

from .models import CheckIn, SupportRequest
from .weeks import current_week_start

WEEKS_BACK = 3
NOTES = [
    "Booked the remaining QBRs; two renewals moved to legal.",
    "Expansion call went well, proposal out on Thursday.",
    "Quiet week: onboarding for two new accounts.",
]
BLOCKER = "Waiting on the customer's legal team to review the renewal terms."
HELP_MESSAGE = "Could you join the exec call with their VP on Thursday? It would unblock it."
# The member who stopped checking in: missed the last two weeks (escalated to the lead).
MISSING_MEMBER = "dev.patel@goalpost.example"
BLOCKED_MEMBER = "ana.ruiz@goalpost.example"


@transaction.atomic
def seed_checkins() -> int:
    """Create the demo check-ins once; returns how many were added."""
    this_week = current_week_start()
    goals = list(
        Goal.objects.filter(
            owner__isnull=False,
            archived_at__isnull=True,
            period__status=GoalPeriod.Status.ACTIVE,
            owner__email__endswith="@goalpost.example",
        )
        .select_related("owner", "period")
        .order_by("owner__email", "pk")
    )
    blocked_goal = next((goal for goal in goals if goal.owner.email == BLOCKED_MEMBER), None)
    added = 0
    for goal in goals:
        for weeks_ago in range(WEEKS_BACK, 0, -1):
            week_start = this_week - timedelta(weeks=weeks_ago)
            if week_start < goal.period.start - timedelta(days=6):
                continue
            if goal.owner.email == MISSING_MEMBER and weeks_ago <= 2:
                continue
            blocked = goal == blocked_goal and weeks_ago == 1
            checkin, created = CheckIn.objects.get_or_create(
                goal=goal,
                user=goal.owner,
                week_start=week_start,
                defaults={
                    "note": NOTES[(goal.pk + weeks_ago) % len(NOTES)],
                    "confidence": 2 if blocked else 3 + (goal.pk + weeks_ago) % 3,
                    "blockers": BLOCKER if blocked else "",
                },
            )
            added += created
            if blocked and created:
                SupportRequest.objects.create(
                    goal=goal, checkin=checkin, requester=goal.owner, message=HELP_MESSAGE
                )
    return added
