"""Reactions to the goals and checkins signals. Bodies only hand over to services and tasks."""

import functools
import logging
from datetime import date, timedelta

from django.db import transaction
from django.db.models.signals import post_save

from checkins import signals as checkin_signals
from goals import signals as goal_signals
from goals.models import Goal, GoalPeriod
from goals_project.people.models import User
from goals_project.people.selectors import team_of

from . import services, summaries
from .access import visible_achievements
from .selectors import achievement_sentence, contribution_highlights
from .tasks import badges_award_for_users, period_summaries_for_period

logger = logging.getLogger(__name__)


def robust(receiver):
    """The engine sends its signals after commit with Signal.send: a failure here is logged and
    must not break the recalculation or check-in that triggered it."""

    @functools.wraps(receiver)
    def wrapper(*args, **kwargs):
        try:
            return receiver(*args, **kwargs)
        except Exception:
            logger.exception("Recognition receiver %s failed", receiver.__name__)
            return None

    return wrapper


@robust
def on_goal_status_changed(sender, goal: Goal, old_status: str, new_status: str, **kwargs):
    services.achievements_follow_status(goal=goal, status=new_status)


@robust
def on_milestone_completed(sender, milestone, **kwargs):
    services.achievement_record_for_milestone(milestone=milestone)


@robust
def on_goals_recalculated(sender, goal_ids, **kwargs):
    user_ids = services.after_recalculation(goal_ids=list(goal_ids))
    summaries.period_summaries_after_recalculation(goal_ids=list(goal_ids))
    if user_ids:
        transaction.on_commit(lambda: badges_award_for_users.delay(sorted(user_ids)))


def on_collect_digest_sections(sender, user: User, week_start: date, is_lead: bool, **kwargs):
    """The digest sent on Monday `week_start` reports the full week before it: for a lead, the
    team's wins and contribution highlights (its Notifications section is checkins')."""
    reported_week = week_start - timedelta(days=7)
    sections = []
    team = team_of(user)
    if not is_lead or team is None:
        return sections
    # The lead's own view of the team: goals they may see (the goal page's rule).
    wins = (
        visible_achievements(user)
        .filter(
            goal__team=team,
            goal__archived_at__isnull=True,
            withdrawn_at__isnull=True,
            achieved_at__date__gte=reported_week,
            achieved_at__date__lt=week_start,
        )
        .select_related("goal__team", "goal__owner", "goal__period", "milestone")
        .order_by("achieved_at", "pk")
    )
    if wins:
        sections.append(
            {"title": "Wins last week", "lines": [achievement_sentence(win) for win in wins]}
        )
    highlights = contribution_highlights(team, reported_week, viewer=user)
    lines = [
        f"{goal.goal.name}: "
        + ", ".join(
            f"{mover.member.get_full_name()} +{mover.points_gained:.1f} points"
            for mover in goal.movers
        )
        for goal in highlights.goals
        if goal.movers
    ]
    lines += [
        f"{helper.member.get_full_name()} helped resolve {helper.resolved} "
        f"support request{'s' if helper.resolved != 1 else ''}"
        for helper in highlights.helpers
    ]
    if lines:
        sections.append({"title": "Contribution highlights", "lines": lines})
    return sections


@robust
def on_period_saved(sender, instance: GoalPeriod, **kwargs):
    if instance.status == GoalPeriod.Status.COMPLETED:
        transaction.on_commit(lambda: period_summaries_for_period.delay(instance.pk))


@robust
def on_period_closed(sender, period: GoalPeriod, **kwargs):
    """The goals are frozen: rebuild the summaries with their final values and grades."""
    summaries.period_summaries_rebuild(period=period)


def connect_signals() -> None:
    """Called from RecognitionConfig.ready()."""
    uid = "recognition."
    goal_signals.goal_status_changed.connect(on_goal_status_changed, dispatch_uid=uid + "status")
    goal_signals.milestone_completed.connect(on_milestone_completed, dispatch_uid=uid + "milestone")
    goal_signals.goals_recalculated.connect(on_goals_recalculated, dispatch_uid=uid + "recalc")
    checkin_signals.collect_digest_sections.connect(
        on_collect_digest_sections, dispatch_uid=uid + "digest"
    )
    goal_signals.period_closed.connect(on_period_closed, dispatch_uid=uid + "period_closed")
    post_save.connect(on_period_saved, sender=GoalPeriod, dispatch_uid=uid + "period")
