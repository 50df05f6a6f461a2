"""Reads of the checkins app: the check-in page, a goal's history, missed check-ins and the
lead's "needs my attention" queue. Each is a fixed number of queries, whatever the team size."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)

from goals.access import visible_goals
from goals.early_warning import recent_warnings_q
from goals.mentions import mention, visible_goal_ids
from goals.models import EarlyWarning, Goal, GoalPeriod, Milestone, ProgressHistory
from goals_project.people.models import User
from goals_project.people.selectors import membership_of
from metrics.calculators import local_midnight

from .access import visible_support_requests
from .models import CheckIn, SupportRequest
from .weeks import current_week_start

WORSE_STATUSES = [Goal.Status.AT_RISK, Goal.Status.BEHIND]
OPEN_STATUSES = [SupportRequest.Status.OPEN, SupportRequest.Status.ACKNOWLEDGED]


def open_in_week_q(week_start: date, prefix: str = "") -> Q:
    """Goals that take check-ins in the week: not archived, period overlapping the week, past
    planning, and created by the week's end (a goal set up this week was not owed a check-in
    last week)."""
    week_end = week_start + timedelta(days=6)
    return Q(
        **{
            f"{prefix}archived_at__isnull": True,
            f"{prefix}period__start__lte": week_end,
            f"{prefix}period__end__gte": week_start,
            f"{prefix}created_at__lt": local_midnight(week_end + timedelta(days=1)),
        }
    ) & ~Q(**{f"{prefix}period__status": GoalPeriod.Status.PLANNING})


def lead_team_id(user: User) -> int | None:
    membership = membership_of(user)
    return membership.team_id if membership and membership.is_lead else None


def checkin_goals(user: User, week_start: date) -> QuerySet[Goal]:
    """The goals the user checks in on this week (their own; a lead also the team's goals), each
    with `this_week` (a list with the user's check-in, if saved) and `milestone_list`."""
    mine = Q(owner=user)
    team_id = lead_team_id(user)
    if team_id is not None:
        mine |= Q(owner__isnull=True, team_id=team_id)
    this_week = CheckIn.objects.filter(user=user, week_start=week_start).prefetch_related(
        Prefetch(
            "support_requests",
            queryset=SupportRequest.objects.select_related("addressee").order_by("-created_at"),
        )
    )
    return (
        Goal.objects.filter(mine)
        .filter(open_in_week_q(week_start))
        .select_related("period", "team", "owner")
        .prefetch_related(
            Prefetch("checkins", queryset=this_week, to_attr="this_week"),
            Prefetch(
                "milestones",
                queryset=Milestone.objects.order_by("order", "pk"),
                to_attr="milestone_list",
            ),
        )
        .order_by(F("owner_id").asc(nulls_first=True), "period__start", "name")
    )


def checkin_tally(user: User, week_start: date) -> tuple[int, int]:
    """(goals checked in this week, goals to check in on) for the user's check-in page."""
    goals = checkin_goals(user, week_start).order_by()
    saved = CheckIn.objects.filter(user=user, week_start=week_start, goal__in=goals.values("pk"))
    return saved.count(), goals.count()


def goal_checkins(goal: Goal) -> list[CheckIn]:
    """Every check-in of the goal, newest week first, with who wrote it: read once per goal
    object (the goal page's check-in history and its chart's markers share the read;
    refresh_from_db forgets it)."""
    prefetch_related_objects(
        [goal], Prefetch("checkins", queryset=CheckIn.objects.select_related("user"))
    )
    return list(goal.checkins.all())


def checkins_for_goal(goal: Goal, viewer: User, *, limit: int = 20) -> list[CheckIn]:
    """The goal's latest check-ins, newest week first, with who wrote them and the help asked
    that the viewer may read (`readable_support_requests`: the one rule of checkins.access)."""
    checkins = goal_checkins(goal)[:limit]
    prefetch_related_objects(
        checkins,
        Prefetch(
            "support_requests",
            queryset=visible_support_requests(viewer)
            .select_related("addressee")
            .order_by("created_at"),
            to_attr="readable_support_requests",
        ),
    )
    return checkins


def expected_to_check_in(week_start: date) -> QuerySet[User]:
    """Active users who own at least one individual goal open in the week."""
    owned_open = Goal.objects.filter(owner=OuterRef("pk")).filter(open_in_week_q(week_start))
    return User.objects.filter(Exists(owned_open), is_active=True)


def has_checked_in(week_start: date) -> Exists:
    return Exists(CheckIn.objects.filter(user=OuterRef("pk"), week_start=week_start))


@dataclass(frozen=True)
class MissedCheckIn:
    user: User
    weeks_in_a_row: int

    @property
    def escalated(self) -> bool:
        return self.weeks_in_a_row >= 2


def missed_checkins(
    *, team_id: int, week_start: date, exclude_user: User | None = None
) -> list[MissedCheckIn]:
    """Team members who were expected to check in during the week and did not; those who also
    missed the week before are escalated (two weeks in a row). One query. The reader
    (`exclude_user`, a lead) is not listed: their own check-in is not theirs to chase."""
    previous_week = week_start - timedelta(days=7)
    owned_open_before = Goal.objects.filter(owner=OuterRef("pk")).filter(
        open_in_week_q(previous_week)
    )
    users = (
        expected_to_check_in(week_start)
        .filter(membership__team_id=team_id)
        .annotate(
            checked=has_checked_in(week_start),
            checked_before=has_checked_in(previous_week),
            expected_before=Exists(owned_open_before),
        )
        .filter(checked=False)
        .exclude(pk=getattr(exclude_user, "pk", None))
        .order_by("name", "email")
    )
    return [
        MissedCheckIn(user, 2 if user.expected_before and not user.checked_before else 1)
        for user in users
    ]


def anyone_expected_to_check_in(*, team_id: int, week_start: date, exclude_user: User) -> bool:
    """Whether anyone of the team (but the reader) had a goal open in that week: without one,
    an empty missed list means nobody had to check in, not that everyone did."""
    return (
        expected_to_check_in(week_start)
        .filter(membership__team_id=team_id)
        .exclude(pk=exclude_user.pk)
        .exists()
    )


def _history_at(day: date, column: str) -> Subquery:
    """The goal's last recorded `column` on or before the day (as-of history)."""
    return Subquery(
        ProgressHistory.objects.filter(goal=OuterRef("pk"), as_of__lte=day)
        .order_by("-as_of", "-recorded_at", "-pk")
        .values(column)[:1]
    )


def goals_turned_worse(*, team_id: int, week_start: date) -> QuerySet[Goal]:
    """The team's goals that became at risk or behind during the week (from progress history):
    their status now is at risk/behind, a history row this week says so, and the status before
    the week was different (or there was none)."""
    before_week = week_start - timedelta(days=1)
    worse_this_week = ProgressHistory.objects.filter(
        goal=OuterRef("pk"), as_of__gte=week_start, status__in=WORSE_STATUSES
    )
    return (
        Goal.objects.filter(team_id=team_id, status__in=WORSE_STATUSES)
        .filter(open_in_week_q(week_start))
        .annotate(status_before=_history_at(before_week, "status"))
        .filter(Exists(worse_this_week))
        .exclude(status_before=F("status"))
        .select_related("owner", "period")
        .order_by("status", "name")
    )


def with_weekly_change(goals: QuerySet[Goal], week_start: date) -> QuerySet[Goal]:
    """Annotate value/progress as of the week's Monday and a week earlier, and the status as of
    the Monday (from history)."""
    week_ago = week_start - timedelta(days=7)
    return goals.annotate(
        status_now=_history_at(week_start, "status"),
        value_now=_history_at(week_start, "value"),
        value_week_ago=_history_at(week_ago, "value"),
        progress_now=_history_at(week_start, "progress"),
        progress_week_ago=_history_at(week_ago, "progress"),
    )


def with_goal_labels(reader: User, support_requests: Iterable[SupportRequest]) -> list:
    """The requests, each with `goal_visible` and `goal_label`: how the reader reads the goal it
    is about (its name in quotes, or "a private goal" when they may not see it). One query."""
    support_requests = list(support_requests)
    visible = visible_goal_ids(reader, [request.goal_id for request in support_requests])
    for request in support_requests:
        request.goal_visible = request.goal_id in visible
        request.goal_label = mention(request.goal, visible=request.goal_visible)
    return support_requests


def support_requests_for(user: User) -> QuerySet[SupportRequest]:
    """Unresolved requests the user is asked to handle: addressed to them, or to the leads of a
    team they lead."""
    addressed = Q(addressee=user)
    team_id = lead_team_id(user)
    if team_id is not None:
        addressed |= Q(addressee__isnull=True, goal__team_id=team_id)
    return (
        SupportRequest.objects.filter(addressed, status__in=OPEN_STATUSES)
        .exclude(requester=user)
        .select_related("goal", "requester", "addressee", "checkin")
        .order_by("created_at", "pk")
    )


def new_blockers(*, team_id: int, week_start: date, exclude_user: User) -> QuerySet[CheckIn]:
    """Blockers raised in the team's check-ins this week or last that no one has acknowledged
    (on goals the lead may see: all the team's)."""
    return (
        CheckIn.objects.filter(
            goal__in=visible_goals(exclude_user),
            goal__team_id=team_id,
            week_start__gte=week_start - timedelta(days=7),
            blocker_acknowledged_at__isnull=True,
        )
        .exclude(blockers="")
        .exclude(user=exclude_user)
        .select_related("goal", "user")
        .order_by("-week_start", "-updated_at")
    )


@dataclass
class AttentionQueue:
    support_requests: list[SupportRequest] = field(default_factory=list)
    blockers: list[CheckIn] = field(default_factory=list)
    missed: list[MissedCheckIn] = field(default_factory=list)
    turned_worse: list[Goal] = field(default_factory=list)
    early_warnings: list[EarlyWarning] = field(default_factory=list)
    is_lead: bool = False
    week_start: date | None = None

    @property
    def count(self) -> int:
        # Early warnings are news to read, not items to work off: they leave the count alone.
        return (
            len(self.support_requests)
            + len(self.blockers)
            + len(self.missed)
            + len(self.turned_worse)
        )


def attention_queue(user: User, *, now: datetime | None = None) -> AttentionQueue:
    """What needs the user: support requests addressed to them; for a lead also new blockers,
    last week's missed check-ins (escalated after two in a row), goals that turned at risk or
    behind this week and the early warnings of the last seven days."""
    week_start = current_week_start(now)
    queue = AttentionQueue(
        support_requests=with_goal_labels(user, support_requests_for(user)), week_start=week_start
    )
    team_id = lead_team_id(user)
    if team_id is not None:
        queue.is_lead = True
        queue.blockers = list(
            new_blockers(team_id=team_id, week_start=week_start, exclude_user=user)
        )
        queue.missed = missed_checkins(
            team_id=team_id, week_start=week_start - timedelta(days=7), exclude_user=user
        )
        queue.turned_worse = list(
            goals_turned_worse(team_id=team_id, week_start=week_start).filter(
                pk__in=visible_goals(user).values("pk")
            )
        )
        queue.early_warnings = list(early_warnings_for_team(user, team_id=team_id, now=now))
    return queue


def early_warnings_for_team(
    user: User, *, team_id: int, now: datetime | None = None
) -> QuerySet[EarlyWarning]:
    """The early warnings of the last seven days on the team's goals the user may see, the
    latest first, one per goal (goals.early_warning)."""
    return (
        EarlyWarning.objects.filter(
            recent_warnings_q(now=now),
            goal__team_id=team_id,
            goal__archived_at__isnull=True,
            goal__pk__in=visible_goals(user).values("pk"),
        )
        .select_related("goal", "goal__owner")
        .order_by("-raised_at", "-pk")
    )
