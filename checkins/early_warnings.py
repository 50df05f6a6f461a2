"""Early warnings told: after a recalculation, the goals that should be warned get a warning
(goals.early_warning) and the owner and the team's leads a notification of the kind
"early_warning", delivered as each chose (in-app always; email at once, in the weekly digest, or
not at all). The weekly digest lists the week's warnings first; the lead's attention queue and
the team dashboard show them too (checkins.selectors, dashboards.selectors)."""

import logging
from datetime import date, timedelta

from django.urls import reverse

from goals.access import visible_goals
from goals.early_warning import raise_early_warnings
from goals.mentions import unnamed
from goals.models import EarlyWarning, Goal
from goals_project.people.models import Membership, User
from goals_project.people.selectors import team_leads
from notifications import kinds
from notifications.models import Delivery
from notifications.preferences import delivery_for
from notifications.services import notify

from .emails import absolute_url

logger = logging.getLogger(__name__)

EARLY_WARNING = "early_warning"


def register_kind() -> None:
    # Listed in the digest's own first section (digest_early_warnings), not under Notifications.
    kinds.register(
        EARLY_WARNING,
        label="Early warning",
        preference="Early warnings on goals I own or lead",
        in_digest=False,
    )


def goal_url(goal: Goal) -> str:
    """The goal page at its breakdown of the accounts behind the value."""
    return reverse("goals:goal_detail", args=[goal.pk]) + "#breakdown"


def recipients(goal: Goal) -> list[User]:
    """The goal's owner (an individual goal) and the team's leads, each once."""
    people = {lead.pk: lead for lead in team_leads(goal.team)}
    if goal.owner_id is not None:
        people.setdefault(goal.owner_id, goal.owner)
    return [person for person in people.values() if person.is_active]


def announce(warning: EarlyWarning) -> None:
    """Notify the warning's recipients (texts that name the goal only for who may see it)."""
    goal = warning.goal
    notify(
        users=recipients(goal),
        kind=EARLY_WARNING,
        title=f"Early warning: {goal.name}",
        body=warning.reason,
        url=goal_url(goal),
        goal=goal,
        neutral_title=f"Early warning on {unnamed(goal)}",
        neutral_body="",
        neutral_url="",
        data={"early_warning_id": warning.pk},
    )


def on_goals_recalculated(sender, goal_ids, **kwargs) -> None:
    """Warn the recalculated goals that should be warned. A failure is logged, never raised:
    the recalculation it follows is committed already."""
    try:
        for warning in raise_early_warnings(goal_ids):
            announce(warning)
    except Exception:
        logger.exception("Early warnings after a recalculation of %d goals failed", len(goal_ids))


def digest_early_warnings(user: User, week_start: date) -> list[dict]:
    """The early warnings of the week before the digest's Monday `week_start` on goals the user
    owns or (a lead) their team's, that the user may see; none when they turned them off."""
    if delivery_for(user, EARLY_WARNING) == Delivery.OFF:
        return []
    lead_team = Membership.objects.filter(user=user, role=Membership.Role.LEAD).values("team_id")
    warnings = (
        EarlyWarning.objects.filter(
            raised_at__date__gte=week_start - timedelta(days=7),
            raised_at__date__lt=week_start,
            goal__in=visible_goals(user).filter(owner=user)
            | visible_goals(user).filter(team_id__in=lead_team),
        )
        .select_related("goal", "goal__owner")
        .order_by("-raised_at", "-pk")
    )
    return [
        {
            "goal": warning.goal,
            "owner_name": warning.goal.owner.get_full_name() if warning.goal.owner else "team",
            "reason": warning.reason,
            "url": absolute_url(goal_url(warning.goal)),
        }
        for warning in warnings
    ]
