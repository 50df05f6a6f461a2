"""Reads of the recognition app: celebration feed, contribution highlights, badges, achievements."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from checkins.models import SupportRequest
from goals.access import visible_goals
from goals.mentions import text_for_reader
from goals.models import ContributionSnapshot, Goal
from goals_project.people.models import Team, User

from .access import visible_achievements
from .badges import CATALOGUE
from .models import Achievement, AchievementSeen, BadgeAward, Celebration

FEED_LENGTH = 10
HIGHLIGHTS_PER_GOAL = 3


def achievements_for_user(
    user: User,
    *,
    team_id: int | None = None,
    period_id: int | None = None,
    goal_id: int | None = None,
    kind: str | None = None,
    include_withdrawn: bool = False,
) -> QuerySet[Achievement]:
    """The achievements the user may see, newest first, with what a list shows in one query
    (withdrawn ones only when asked: a single win's page)."""
    achievements = visible_achievements(user, include_withdrawn=include_withdrawn).select_related(
        "goal__team", "goal__owner", "goal__period", "milestone"
    )
    if team_id is not None:
        achievements = achievements.filter(goal__team_id=team_id)
    if period_id is not None:
        achievements = achievements.filter(goal__period_id=period_id)
    if goal_id is not None:
        achievements = achievements.filter(goal_id=goal_id)
    if kind:
        achievements = achievements.filter(kind=kind)
    return achievements.annotate(
        celebration_count=Count("celebrations", distinct=True),
        viewer_celebrated=Exists(
            Celebration.objects.filter(achievement=OuterRef("pk"), user_id=user.pk)
        ),
    ).order_by("-achieved_at", "-pk")


def days_early(achievement: Achievement) -> int | None:
    """Days before the deadline (the milestone's due date, else the period's end), if any."""
    if achievement.milestone_id:
        deadline = achievement.milestone.due_date
        if deadline is None:
            return None
    else:
        deadline = achievement.goal.period.end
    remaining = (deadline - timezone.localdate(achievement.achieved_at)).days
    return remaining if remaining > 0 else None


def achievement_sentence(achievement: Achievement) -> str:
    """'Ana reached the target of “QBR completion”, 2 days early'."""
    goal = achievement.goal
    who = goal.owner.get_short_name() if goal.owner_id else goal.team.name
    if achievement.kind == Achievement.Kind.MILESTONE:
        what = f"completed the milestone “{achievement.milestone.name}” of “{goal.name}”"
    elif achievement.kind == Achievement.Kind.EXCEEDED:
        what = f"reached the stretch target of “{goal.name}”"
    else:
        what = f"reached the target of “{goal.name}”"
    early = days_early(achievement)
    if early:
        return f"{who} {what}, {early} day{'s' if early != 1 else ''} early"
    return f"{who} {what}"


@dataclass
class FeedItem:
    achievement: Achievement
    sentence: str
    is_new: bool
    celebration_count: int
    viewer_celebrated: bool
    can_celebrate: bool


def _feed(viewer: User, achievements: QuerySet[Achievement]) -> list[FeedItem]:
    annotated = achievements.annotate(
        seen=Exists(AchievementSeen.objects.filter(achievement=OuterRef("pk"), user_id=viewer.pk))
    )
    return [
        FeedItem(
            achievement=achievement,
            sentence=achievement_sentence(achievement),
            is_new=not achievement.seen,
            celebration_count=achievement.celebration_count,
            viewer_celebrated=achievement.viewer_celebrated,
            can_celebrate=achievement.goal.owner_id != viewer.pk,
        )
        for achievement in annotated
    ]


def celebrations_for_team(team: Team, viewer: User, *, limit: int = FEED_LENGTH) -> list[FeedItem]:
    """The team's latest wins the viewer may see, each marked new until the viewer has seen it.

    One query: visibility, celebration counts and the viewer's seen/celebrated state are
    subqueries of the same SELECT."""
    achievements = achievements_for_user(viewer, team_id=team.pk).filter(
        goal__archived_at__isnull=True
    )
    return _feed(viewer, achievements[:limit])


def feed_item(achievement_id: int, viewer: User) -> FeedItem | None:
    """One win as the feed shows it to the viewer (after a celebrate click), or None."""
    items = _feed(viewer, achievements_for_user(viewer).filter(pk=achievement_id))
    return items[0] if items else None


def celebrations_of(achievement: Achievement) -> QuerySet[Celebration]:
    return achievement.celebrations.select_related("user").order_by("created_at", "pk")


@dataclass
class Mover:
    member: User
    points_gained: Decimal


@dataclass
class GoalHighlights:
    goal: Goal
    movers: list[Mover] = field(default_factory=list)


@dataclass
class Helper:
    member: User
    resolved: int


@dataclass
class WeeklyHighlights:
    week_start: date
    goals: list[GoalHighlights]
    helpers: list[Helper]

    @property
    def is_empty(self) -> bool:
        return not any(goal.movers for goal in self.goals) and not self.helpers


def contribution_highlights(team: Team, week_start: date, *, viewer: User) -> WeeklyHighlights:
    """Who moved the team's metric goals that the viewer may see most this week (contribution
    points gained) and who helped (support requests resolved for teammates).

    Points gained = a member's points at the last snapshot of the week minus their points at the
    last snapshot before it (or, for a goal first measured this week, its first snapshot). For a
    goal whose direction is "decrease", a fall is the good move, so movement is counted downward.
    """
    week_end = week_start + timedelta(days=6)
    goals = {
        goal.pk: goal
        for goal in visible_goals(viewer)
        .filter(
            team=team,
            owner__isnull=True,
            goal_type=Goal.Type.METRIC,
            period__start__lte=week_end,
            period__end__gte=week_start,
        )
        .select_related("period")
    }
    snapshots = (
        ContributionSnapshot.objects.filter(
            goal_id__in=list(goals), as_of__lte=week_end, points__isnull=False
        )
        .values_list("goal_id", "member_id", "as_of", "points")
        .order_by("goal_id", "member_id", "as_of")
    )
    before: dict[tuple[int, int], Decimal] = {}
    first_in_week: dict[tuple[int, int], Decimal] = {}
    last_in_week: dict[tuple[int, int], Decimal] = {}
    for goal_id, member_id, as_of, points in snapshots:
        key = (goal_id, member_id)
        if as_of < week_start:
            before[key] = points
        else:
            first_in_week.setdefault(key, points)
            last_in_week[key] = points
    gained: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for (goal_id, member_id), end_points in last_in_week.items():
        start_points = before.get((goal_id, member_id), first_in_week[(goal_id, member_id)])
        movement = end_points - start_points
        if goals[goal_id].direction == Goal.Direction.DECREASE:
            movement = -movement
        if movement > 0:
            gained[goal_id].append((member_id, movement))
    helpers = _helpers_of_week(team, week_start, week_end)
    member_ids = {member_id for moves in gained.values() for member_id, _ in moves}
    member_ids |= set(helpers)
    members = User.objects.in_bulk(member_ids)
    goal_highlights = [
        GoalHighlights(
            goal=goals[goal_id],
            movers=[
                Mover(member=members[member_id], points_gained=movement)
                for member_id, movement in sorted(
                    gained[goal_id], key=lambda item: (-item[1], members[item[0]].name)
                )[:HIGHLIGHTS_PER_GOAL]
            ],
        )
        for goal_id in sorted(goals, key=lambda pk: goals[pk].name)
    ]
    return WeeklyHighlights(
        week_start=week_start,
        goals=goal_highlights,
        helpers=[
            Helper(member=members[member_id], resolved=count)
            for member_id, count in sorted(
                helpers.items(), key=lambda item: (-item[1], members[item[0]].name)
            )
        ],
    )


def _helpers_of_week(team: Team, week_start: date, week_end: date) -> dict[int, int]:
    """Teammates who resolved (replied to, or closed) someone else's support request this week."""
    rows = (
        SupportRequest.objects.filter(
            goal__team=team,
            status=SupportRequest.Status.RESOLVED,
            resolved_at__date__gte=week_start,
            resolved_at__date__lte=week_end,
        )
        .exclude(Q(replied_by__isnull=True) & Q(resolved_by__isnull=True))
        .values_list("requester_id", "replied_by_id", "resolved_by_id")
    )
    counts: dict[int, int] = defaultdict(int)
    for requester_id, replied_by_id, resolved_by_id in rows:
        helper_id = replied_by_id or resolved_by_id
        if helper_id != requester_id:
            counts[helper_id] += 1
    return dict(counts)


@dataclass
class BadgeShown:
    key: str
    name: str
    description: str
    reason: str
    earned_on: date


def badges_for(user: User, *, viewer: User) -> list[BadgeShown]:
    """The person's badges, newest first, with when and why; a reason that names a goal the
    viewer may not see is given in its neutral form (one query)."""
    visible = visible_goals(viewer, include_archived=True).filter(pk=OuterRef("goal_id"))
    awards = (
        BadgeAward.objects.filter(user=user)
        .annotate(goal_visible=Exists(visible))
        .order_by("-earned_on", "-pk")
    )
    return [
        BadgeShown(
            key=award.badge,
            name=CATALOGUE[award.badge].name,
            description=CATALOGUE[award.badge].description,
            reason=text_for_reader(
                award.reason,
                award.neutral_reason,
                goal_id=award.goal_id,
                visible=award.goal_visible,
            ),
            earned_on=award.earned_on,
        )
        for award in awards
        if award.badge in CATALOGUE
    ]
