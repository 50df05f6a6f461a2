"""Demo recognition: the wins the demo goals have reached, a few kudos on them, the badges the
demo data earns and the summaries of completed periods.

Runs after the goals and check-ins demos (it reads what they made); running it again changes
nothing. Demo notifications are not emailed.
"""

from django.db import transaction
from django.utils import timezone

from goals.models import Goal, GoalPeriod, Milestone
from goals_project.people.models import Team, User
from notifications.services import emails_suppressed

from . import services
from .models import Achievement, PeriodSummary
from .summaries import period_summary_build

DEMO_DOMAIN = "@goalpost.example"
KUDOS = ["Huge, well done!", "Great work on this one.", "", "Brilliant quarter!"]
CELEBRATIONS_PER_WIN = 2


@transaction.atomic
def seed_recognition() -> dict[str, int]:
    """Create the demo recognition once; returns how many of each thing were added."""
    with emails_suppressed():
        return _seed()


def _seed() -> dict[str, int]:
    demo_goals = Goal.objects.filter(
        team__memberships__user__email__endswith=DEMO_DOMAIN, archived_at__isnull=True
    ).distinct()
    reached = demo_goals.filter(status__in=[Goal.Status.ACHIEVED, Goal.Status.EXCEEDED])
    achievements = len(services.achievements_backfill(goals=reached.order_by("pk")))
    for milestone in Milestone.objects.filter(goal__in=demo_goals, done_at__isnull=False):
        achievements += services.achievement_record_for_milestone(milestone=milestone) is not None
    celebrations = _celebrate(demo_goals)
    badges = len(services.badges_award())
    summaries = _summaries()
    return {
        "achievements": achievements,
        "celebrations": celebrations,
        "badges": badges,
        "summaries": summaries,
    }


def _celebrate(demo_goals) -> int:
    added = 0
    wins = (
        Achievement.objects.filter(goal__in=demo_goals, goal__visibility=Goal.Visibility.PUBLIC)
        .select_related("goal__team", "goal__owner", "goal__period")
        .order_by("-achieved_at", "pk")[:4]
    )
    for index, win in enumerate(wins):
        teammates = (
            User.objects.filter(membership__team=win.goal.team)
            .exclude(pk=win.goal.owner_id)
            .order_by("email")
        )
        for offset, teammate in enumerate(teammates[:CELEBRATIONS_PER_WIN]):
            try:
                services.achievement_celebrate(
                    achievement=win, by=teammate, message=KUDOS[(index + offset) % len(KUDOS)]
                )
            except services.AlreadyCelebrated:
                continue
            added += 1
    return added


def _summaries() -> int:
    built = 0
    for period in GoalPeriod.objects.filter(status=GoalPeriod.Status.COMPLETED):
        for team in Team.objects.filter(goals__period=period).distinct():
            if not PeriodSummary.objects.filter(period=period, team=team).exists():
                period_summary_build(period=period, team=team)
                built += 1
    # Past periods of the demo were never announced; mark them so the daily job stays quiet.
    PeriodSummary.objects.filter(emailed_at__isnull=True).update(emailed_at=timezone.now())
    return built
