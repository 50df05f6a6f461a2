"""The badge catalogue: each badge is a rule over the data that names who earned it, when and why.

A rule returns every award it can justify as of `today`; awarding inserts them with ON CONFLICT
DO NOTHING against the (user, badge, scope) constraint, so running the rules again (each
recalculation, the daily job) awards nothing twice. `scope` tells repeatable badges apart.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from checkins.models import CheckIn, SupportRequest
from goals.mentions import named, unnamed
from goals.models import ContributionSnapshot, Goal, GoalPeriod
from goals_project.people.models import Membership

from .models import Achievement, AchievementCredit

HELPER_RESOLVED_REQUESTS = 3
TARGET_KINDS = [Achievement.Kind.ACHIEVED, Achievement.Kind.EXCEEDED]


@dataclass(frozen=True)
class Earned:
    user_id: int
    scope: str
    reason: str
    earned_on: date
    period_id: int | None = None
    # A reason that names a goal: the goal, and the reason for a reader who may not see it.
    goal_id: int | None = None
    neutral_reason: str = ""


Rule = Callable[[date, set[int] | None], list[Earned]]


@dataclass(frozen=True)
class Badge:
    key: str
    name: str
    description: str
    rule: Rule


def _end_of(day: date) -> datetime:
    """The first instant after the day, in the project's time zone."""
    following = day + timedelta(days=1)
    return timezone.make_aware(datetime(following.year, following.month, following.day))


def _local_date(moment: datetime) -> date:
    return timezone.localdate(moment, timezone=timezone.get_default_timezone())


def _credits(today: date, user_ids: set[int] | None, kinds: list[str]):
    credits = AchievementCredit.objects.filter(
        achievement__kind__in=kinds,
        achievement__achieved_at__lt=_end_of(today),
        achievement__withdrawn_at__isnull=True,  # a withdrawn win earns nothing
    )
    if user_ids is not None:
        credits = credits.filter(user_id__in=user_ids)
    return credits.values(
        "user_id",
        "achievement__achieved_at",
        "achievement__goal_id",
        "achievement__goal__name",
        "achievement__goal__owner_id",
        "achievement__goal__period_id",
        "achievement__goal__period__name",
    ).order_by("user_id", "achievement__achieved_at", "achievement_id")


def _named(row: dict) -> str:
    return named(Goal(name=row["achievement__goal__name"]))


def _unnamed(row: dict) -> str:
    return unnamed(Goal(owner_id=row["achievement__goal__owner_id"]))


def first_goal_rule(today: date, user_ids: set[int] | None) -> list[Earned]:
    earned: dict[int, Earned] = {}
    for row in _credits(today, user_ids, TARGET_KINDS):
        if row["user_id"] not in earned:
            period = row["achievement__goal__period__name"]
            earned[row["user_id"]] = Earned(
                user_id=row["user_id"],
                scope="",
                reason=f"First goal achieved: {_named(row)} ({period}).",
                earned_on=_local_date(row["achievement__achieved_at"]),
                period_id=row["achievement__goal__period_id"],
                goal_id=row["achievement__goal_id"],
                neutral_reason=f"First goal achieved: {_unnamed(row)} ({period}).",
            )
    return list(earned.values())


def stretch_achiever_rule(today: date, user_ids: set[int] | None) -> list[Earned]:
    earned: dict[tuple[int, int], Earned] = {}
    for row in _credits(today, user_ids, [Achievement.Kind.EXCEEDED]):
        key = (row["user_id"], row["achievement__goal__period_id"])
        if key not in earned:
            period = row["achievement__goal__period__name"]
            earned[key] = Earned(
                user_id=row["user_id"],
                scope=f"period:{key[1]}",
                reason=f"Reached the stretch target of {_named(row)} ({period}).",
                earned_on=_local_date(row["achievement__achieved_at"]),
                period_id=key[1],
                goal_id=row["achievement__goal_id"],
                neutral_reason=f"Reached the stretch target of {_unnamed(row)} ({period}).",
            )
    return list(earned.values())


def three_in_a_row_rule(today: date, user_ids: set[int] | None) -> list[Earned]:
    """A goal achieved in three consecutive periods of the same type (monthly, quarterly...)."""
    first_win: dict[tuple[int, int], date] = {}
    for row in _credits(today, user_ids, TARGET_KINDS):
        key = (row["user_id"], row["achievement__goal__period_id"])
        first_win.setdefault(key, _local_date(row["achievement__achieved_at"]))
    periods = list(
        GoalPeriod.objects.filter(start__lte=today)
        .order_by("period_type", "start")
        .values("id", "name", "period_type")
    )
    by_type: dict[str, list[dict]] = defaultdict(list)
    for period in periods:
        by_type[period["period_type"]].append(period)
    users = {user_id for user_id, _ in first_win}
    earned = []
    for user_id in sorted(users):
        for period_type, ordered in by_type.items():
            run: list[dict] = []
            for period in ordered:
                run = [*run, period] if (user_id, period["id"]) in first_win else []
                if len(run) == 3:
                    names = ", ".join(p["name"] for p in run)
                    earned.append(
                        Earned(
                            user_id=user_id,
                            scope=period_type,
                            reason=f"Goals achieved three {period_type} periods in a row: {names}.",
                            earned_on=first_win[(user_id, period["id"])],
                            period_id=period["id"],
                        )
                    )
                    break
    return earned


def checkin_streak_rule(weeks: int) -> Rule:
    """Checked in every week for `weeks` weeks in a row (any goal counts for the week)."""

    def rule(today: date, user_ids: set[int] | None) -> list[Earned]:
        checkins = CheckIn.objects.filter(week_start__lte=today)
        if user_ids is not None:
            checkins = checkins.filter(user_id__in=user_ids)
        weeks_by_user: dict[int, list[date]] = defaultdict(list)
        for user_id, week_start in (
            checkins.values_list("user_id", "week_start")
            .distinct()
            .order_by("user_id", "week_start")
        ):
            weeks_by_user[user_id].append(week_start)
        earned = []
        for user_id, week_starts in weeks_by_user.items():
            length = 0
            previous: date | None = None
            for week_start in week_starts:
                length = length + 1 if previous == week_start - timedelta(days=7) else 1
                previous = week_start
                if length == weeks:
                    first = week_start - timedelta(days=7 * (weeks - 1))
                    earned.append(
                        Earned(
                            user_id=user_id,
                            scope="",
                            reason=(
                                f"Checked in {weeks} weeks in a row "
                                f"(weeks of {first:%d %b %Y} to {week_start:%d %b %Y})."
                            ),
                            earned_on=week_start,
                        )
                    )
                    break
        return earned

    return rule


def final_contributions(**goal_filters) -> QuerySet[ContributionSnapshot]:
    """Members' points on team metric goals at each goal's last snapshot within its period
    (what a period ends with); `goal_filters` narrow the goals (e.g. period=..., team=...)."""
    last_day = (
        ContributionSnapshot.objects.filter(
            goal=OuterRef("goal"), as_of__lte=OuterRef("goal__period__end")
        )
        .order_by("-as_of")
        .values("as_of")[:1]
    )
    goals = Goal.objects.filter(
        owner__isnull=True, goal_type=Goal.Type.METRIC, archived_at__isnull=True, **goal_filters
    )
    return ContributionSnapshot.objects.filter(
        goal__in=goals, points__isnull=False, as_of=Subquery(last_day)
    )


def top_contributor_rule(today: date, user_ids: set[int] | None) -> list[Earned]:
    """The member with the most contribution points over the team's metric goals of a completed
    period (each goal's last snapshot within the period); ties all earn it."""
    snapshots = final_contributions(
        period__status=GoalPeriod.Status.COMPLETED, period__end__lte=today
    )
    if user_ids is not None:
        # The ranking is the whole team's, so keep the teams of the people asked about.
        teams = Membership.objects.filter(user_id__in=user_ids).values("team_id")
        snapshots = snapshots.filter(goal__team_id__in=Subquery(teams))
    snapshots = snapshots.values(
        "member_id",
        "points",
        "goal__period_id",
        "goal__period__name",
        "goal__period__end",
        "goal__team_id",
        "goal__team__name",
    )
    totals: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    about: dict[tuple[int, int], dict] = {}
    for row in snapshots:
        key = (row["goal__period_id"], row["goal__team_id"])
        totals[key][row["member_id"]] += row["points"]
        about[key] = row
    earned = []
    for key, points_by_member in totals.items():
        best = max(points_by_member.values())
        row = about[key]
        for member_id, points in points_by_member.items():
            if points == best and (user_ids is None or member_id in user_ids):
                earned.append(
                    Earned(
                        user_id=member_id,
                        scope=f"period:{key[0]}",
                        reason=(
                            f"Top contributor of {row['goal__team__name']} in "
                            f"{row['goal__period__name']} ({points:.1f} points)."
                        ),
                        earned_on=row["goal__period__end"],
                        period_id=key[0],
                    )
                )
    return earned


def helper_rule(today: date, user_ids: set[int] | None) -> list[Earned]:
    """Helped resolve support requests of teammates: whoever replied, else whoever resolved it."""
    resolved = SupportRequest.objects.filter(
        status=SupportRequest.Status.RESOLVED, resolved_at__lt=_end_of(today)
    ).exclude(Q(replied_by__isnull=True) & Q(resolved_by__isnull=True))
    if user_ids is not None:
        resolved = resolved.filter(Q(replied_by_id__in=user_ids) | Q(resolved_by_id__in=user_ids))
    counts: dict[int, list[datetime]] = defaultdict(list)
    for requester_id, replied_by_id, resolved_by_id, resolved_at in resolved.values_list(
        "requester_id", "replied_by_id", "resolved_by_id", "resolved_at"
    ).order_by("resolved_at", "pk"):
        helper_id = replied_by_id or resolved_by_id
        if helper_id != requester_id and (user_ids is None or helper_id in user_ids):
            counts[helper_id].append(resolved_at)
    return [
        Earned(
            user_id=helper_id,
            scope="",
            reason=f"Helped resolve {HELPER_RESOLVED_REQUESTS} support requests of teammates.",
            earned_on=_local_date(moments[HELPER_RESOLVED_REQUESTS - 1]),
        )
        for helper_id, moments in counts.items()
        if len(moments) >= HELPER_RESOLVED_REQUESTS
    ]


CATALOGUE: dict[str, Badge] = {
    badge.key: badge
    for badge in [
        Badge("first_goal", "First goal", "Achieved a goal for the first time.", first_goal_rule),
        Badge(
            "stretch_achiever",
            "Stretch achiever",
            "Reached a stretch target (once per period).",
            stretch_achiever_rule,
        ),
        Badge(
            "three_in_a_row",
            "Three in a row",
            "Achieved goals in three consecutive periods of the same type.",
            three_in_a_row_rule,
        ),
        Badge(
            "checkin_streak_4",
            "4-week check-in streak",
            "Checked in four weeks in a row.",
            checkin_streak_rule(4),
        ),
        Badge(
            "checkin_streak_8",
            "8-week check-in streak",
            "Checked in eight weeks in a row.",
            checkin_streak_rule(8),
        ),
        Badge(
            "checkin_streak_12",
            "12-week check-in streak",
            "Checked in twelve weeks in a row.",
            checkin_streak_rule(12),
        ),
        Badge(
            "top_contributor",
            "Top contributor",
            "Most contribution points to the team's metric goals in a period.",
            top_contributor_rule,
        ),
        Badge(
            "helper",
            "Helper",
            f"Helped resolve {HELPER_RESOLVED_REQUESTS} support requests of teammates.",
            helper_rule,
        ),
    ]
}

BADGE_CHOICES = [(badge.key, badge.name) for badge in CATALOGUE.values()]
