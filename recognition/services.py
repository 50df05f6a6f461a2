"""Every write of the recognition app: achievements, celebrations, acknowledgements, seen marks."""

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from checkins.weeks import local_today
from goals.models import Goal, GoalPeriod, Milestone, ProgressHistory
from goals_project.people.models import User
from goals_project.people.selectors import is_lead_of, team_members

from .badges import CATALOGUE, Badge
from .db import insert_ignoring_conflicts
from .models import (
    Achievement,
    AchievementCredit,
    AchievementSeen,
    BadgeAward,
    BadgeSetting,
    Celebration,
    Notification,
)
from .notifications import notify

CELEBRATION_MESSAGE_MAX = 140

# A status change to one of these records the achievements listed (exceeded implies achieved).
KINDS_FOR_STATUS: dict[str, list[str]] = {
    Goal.Status.ACHIEVED: [Achievement.Kind.ACHIEVED],
    Goal.Status.EXCEEDED: [Achievement.Kind.ACHIEVED, Achievement.Kind.EXCEEDED],
}


STATUSES_FOR_KIND: dict[str, list[str]] = {
    Achievement.Kind.ACHIEVED: [Goal.Status.ACHIEVED, Goal.Status.EXCEEDED],
    Achievement.Kind.EXCEEDED: [Goal.Status.EXCEEDED],
}


class AlreadyCelebrated(Exception):
    """The person has celebrated this achievement before (one kudos per person)."""


def credited_users(goal: Goal) -> list[User]:
    """An individual goal credits its owner; a team goal credits every member of the team."""
    if goal.owner_id is not None:
        return [goal.owner]
    return list(team_members(goal.team).select_related("notification_settings"))


def achievement_url(achievement_id: int) -> str:
    return reverse("recognition:achievement", args=[achievement_id])


def _achievement_title(goal: Goal, kind: str, milestone: Milestone | None) -> str:
    who = "You" if goal.owner_id is not None else goal.team.name
    if kind == Achievement.Kind.MILESTONE:
        return f"{who} completed the milestone “{milestone.name}” of “{goal.name}”"
    if kind == Achievement.Kind.EXCEEDED:
        return f"{who} reached the stretch target of “{goal.name}”"
    return f"{who} reached the target of “{goal.name}”"


def _reached_at(goal: Goal, kind: str, milestone: Milestone | None) -> datetime:
    """When the goal first reached it: the first progress history row with such a status (a win
    recorded late, e.g. after a lost signal, keeps its real date), the milestone's done time, or
    now."""
    if milestone is not None:
        return milestone.done_at or timezone.now()
    statuses = STATUSES_FOR_KIND[kind]
    first = (
        ProgressHistory.objects.filter(goal=goal, status__in=statuses)
        .order_by("recorded_at", "pk")
        .values_list("recorded_at", flat=True)
        .first()
    )
    return first or timezone.now()


def _record(
    *, goal: Goal, kinds: list[str], milestone: Milestone | None = None
) -> list[Achievement]:
    """Insert the achievements that do not exist yet, credit and notify for the new ones only."""
    rows = [
        {
            "goal": goal.pk,
            "kind": kind,
            "milestone": milestone.pk if milestone else None,
            "achieved_at": _reached_at(goal, kind, milestone),
            "value": goal.current_value,
        }
        for kind in kinds
    ]
    with transaction.atomic():
        inserted = insert_ignoring_conflicts(Achievement, rows, returning=["id", "kind"])
        if not inserted:
            return []
        credited = credited_users(goal)
        AchievementCredit.objects.bulk_create(
            [
                AchievementCredit(achievement_id=row["id"], user=user)
                for row in inserted
                for user in credited
            ],
            ignore_conflicts=True,
        )
        # Reaching the stretch at once also records "achieved"; one notification says both.
        newest = max(inserted, key=lambda row: kinds.index(row["kind"]))
        notify(
            users=credited,
            kind=Notification.Kind.ACHIEVEMENT,
            title=_achievement_title(goal, newest["kind"], milestone),
            body=f"{goal.period.name}: celebrate it with your team.",
            url=achievement_url(newest["id"]),
        )
    return list(Achievement.objects.filter(pk__in=[row["id"] for row in inserted]).order_by("pk"))


def achievements_record_for_status(*, goal: Goal, status: str) -> list[Achievement]:
    """Record the goal's achievements for its new status, each exactly once per (goal, kind).

    Safe under repeated and concurrent recalculation and when a value dips and recovers: the
    unique constraint turns a second insert into nothing (ON CONFLICT DO NOTHING), and only the
    call that inserted a row credits people and notifies them."""
    kinds = KINDS_FOR_STATUS.get(status, [])
    if not kinds:
        return []
    goal = Goal.objects.select_related("team", "owner", "period").get(pk=goal.pk)
    return _record(goal=goal, kinds=kinds)


def achievement_record_for_milestone(*, milestone: Milestone) -> Achievement | None:
    """Record a completed milestone once (None when it was recorded before)."""
    goal = Goal.objects.select_related("team", "owner", "period").get(pk=milestone.goal_id)
    recorded = _record(goal=goal, kinds=[Achievement.Kind.MILESTONE], milestone=milestone)
    return recorded[0] if recorded else None


def achievements_backfill(*, goals: Iterable[Goal]) -> list[Achievement]:
    """Record achievements for goals already achieved/exceeded (a missed signal is repaired)."""
    recorded: list[Achievement] = []
    for goal in goals:
        recorded.extend(achievements_record_for_status(goal=goal, status=goal.status))
    return recorded


def can_acknowledge(user: User, achievement: Achievement) -> bool:
    """The owner acknowledges: the goal's owner, or for a team goal the team's leads."""
    goal = achievement.goal
    if goal.owner_id is not None:
        return goal.owner_id == user.pk
    return is_lead_of(user, goal.team)


def can_celebrate(user: User, achievement: Achievement) -> bool:
    """Anyone who sees the win celebrates it, except the owner of an individual goal."""
    return achievement.goal.owner_id != user.pk


@transaction.atomic
def achievement_acknowledge(*, achievement: Achievement, by: User) -> Achievement:
    """The owner acknowledges the achievement (PermissionDenied for anyone else); repeating it
    keeps the first acknowledgement."""
    if not can_acknowledge(by, achievement):
        raise PermissionDenied("Only the goal's owner can acknowledge this achievement.")
    Achievement.objects.filter(pk=achievement.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=by
    )
    achievement.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return achievement


@transaction.atomic
def achievement_celebrate(*, achievement: Achievement, by: User, message: str = "") -> Celebration:
    """A kudos from a teammate, once per person (AlreadyCelebrated the second time).

    The owner of an individual goal is told (per their preference); a team's own win is not
    announced again to everyone who already got the achievement notification."""
    message = (message or "").strip()
    if len(message) > CELEBRATION_MESSAGE_MAX:
        raise ValidationError(
            {"message": f"Keep the message to {CELEBRATION_MESSAGE_MAX} characters or fewer."}
        )
    if not can_celebrate(by, achievement):
        raise PermissionDenied("You cannot celebrate your own achievement.")
    inserted = insert_ignoring_conflicts(
        Celebration,
        [
            {
                "achievement": achievement.pk,
                "user": by.pk,
                "message": message,
                "created_at": timezone.now(),
            }
        ],
        returning=["id"],
    )
    if not inserted:
        raise AlreadyCelebrated("You have already celebrated this achievement.")
    celebration = Celebration.objects.select_related("user").get(pk=inserted[0]["id"])
    goal = achievement.goal
    if goal.owner_id is not None:
        notify(
            users=[goal.owner],
            kind=Notification.Kind.CELEBRATION,
            title=f"{by.get_full_name()} celebrated your win on “{goal.name}”",
            body=message,
            url=achievement_url(achievement.pk),
        )
    return celebration


def achievements_mark_seen(*, user: User, achievement_ids: Iterable[int]) -> int:
    """Remember that the user has seen these wins (the feed animates a win only the first time)."""
    now = timezone.now()
    rows = [
        {"achievement": pk, "user": user.pk, "seen_at": now} for pk in sorted(set(achievement_ids))
    ]
    return len(insert_ignoring_conflicts(AchievementSeen, rows, returning=["id"]))


def enabled_badges() -> list[Badge]:
    """The catalogue minus the badges an admin switched off."""
    off = set(BadgeSetting.objects.filter(enabled=False).values_list("badge", flat=True))
    return [badge for key, badge in CATALOGUE.items() if key not in off]


def badges_award(*, today: date | None = None, user_ids: Iterable[int] | None = None) -> list[int]:
    """Run every enabled badge rule and award what is new; returns the new awards' ids.

    Idempotent by the (user, badge, scope) constraint: a second run, or a run racing the daily
    job, inserts nothing, and only the run that inserted an award notifies its owner."""
    today = today or local_today()
    users = set(user_ids) if user_ids is not None else None
    rows = [
        {
            "user": earned.user_id,
            "badge": badge.key,
            "scope": earned.scope,
            "reason": earned.reason,
            "earned_on": earned.earned_on,
            "period": earned.period_id,
            "awarded_at": timezone.now(),
        }
        for badge in enabled_badges()
        for earned in badge.rule(today, users)
    ]
    new_ids: list[int] = []
    for start in range(0, len(rows), 500):
        with transaction.atomic():
            inserted = insert_ignoring_conflicts(
                BadgeAward, rows[start : start + 500], returning=["id"]
            )
            awards = BadgeAward.objects.filter(pk__in=[row["id"] for row in inserted])
            for award in awards.select_related("user__notification_settings"):
                notify(
                    users=[award.user],
                    kind=Notification.Kind.BADGE,
                    title=f"You earned the badge “{CATALOGUE[award.badge].name}”",
                    body=award.reason,
                    url=reverse("recognition:person_badges", args=[award.user_id]),
                )
            new_ids.extend(row["id"] for row in inserted)
    return new_ids


def after_recalculation(*, goal_ids: list[int]) -> set[int]:
    """Repair achievements whose status signal was lost, and return the people whose badges the
    recalculation may have changed (people of reached goals and of completed periods' goals).

    Only goals still missing their achievement are looked at, so the periodic recalculation of
    every active goal stays cheap."""
    reached = [Goal.Status.ACHIEVED, Goal.Status.EXCEEDED]
    recorded = Achievement.objects.filter(
        goal=OuterRef("pk"), kind=OuterRef("status"), milestone__isnull=True
    )
    missing = Goal.objects.filter(pk__in=goal_ids, status__in=reached).exclude(Exists(recorded))
    achievements_backfill(goals=missing.order_by("pk"))
    relevant = Goal.objects.filter(pk__in=goal_ids).filter(
        Q(status__in=reached) | Q(period__status=GoalPeriod.Status.COMPLETED)
    )
    return people_of_goals(goal_ids=list(relevant.values_list("pk", flat=True)))


def people_of_goals(*, goal_ids: list[int]) -> set[int]:
    """Owners of the goals and every member of their teams (whom a badge rule may now reward)."""
    goals = Goal.objects.filter(pk__in=goal_ids)
    owners = set(goals.exclude(owner__isnull=True).values_list("owner_id", flat=True))
    team_ids = goals.values("team_id")
    members = set(User.objects.filter(membership__team__in=team_ids).values_list("pk", flat=True))
    return owners | members
