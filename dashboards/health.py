"""Program health: the PRD's success measures, read for an admin (all teams) or a lead (theirs).

- members with at least one goal in a running period (target 100%)
- weekly check-in completion: members who checked in during the week (target 90%)
- goal achievement rate of completed periods (target 80%)
- weekly dashboard views per member (from the DashboardView log)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from checkins.models import CheckIn
from goals.models import Goal, GoalPeriod
from goals_project.people.models import Membership, Team

from . import display
from .charts import health_trend_figure
from .models import DashboardView

WEEKS = 8
HUNDRED = Decimal(100)


@dataclass
class HealthMeasure:
    name: str
    value: Decimal | None
    value_display: str
    target_display: str
    meets_target: bool | None
    detail: str


@dataclass
class ProgramHealth:
    scope_label: str
    member_count: int
    measures: list[HealthMeasure]
    weeks: list[date]
    checkin_completion: list[Decimal | None]
    views_per_member: list[Decimal | None]
    trend_chart: dict


def _share(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) * HUNDRED if whole else None


def _measure(name: str, value: Decimal | None, target: int, detail: str) -> HealthMeasure:
    return HealthMeasure(
        name=name,
        value=value,
        value_display=display.percent(value),
        target_display=f"target {target}%",
        meets_target=None if value is None else value >= target,
        detail=detail,
    )


def program_health(*, teams: list[Team], today: date, scope_label: str) -> ProgramHealth:
    """The measures over the teams' current members, and their weekly trend (five queries)."""
    team_ids = [team.pk for team in teams]
    member_ids = list(
        Membership.objects.filter(team_id__in=team_ids).values_list("user_id", flat=True)
    )
    members = len(member_ids)
    with_goal = (
        Goal.objects.filter(
            owner_id__in=member_ids,
            archived_at__isnull=True,
            period__start__lte=today,
            period__end__gte=today,
        )
        .values("owner_id")
        .distinct()
        .count()
    )
    completed = Goal.objects.filter(team_id__in=team_ids, archived_at__isnull=True).filter(
        Q(period__status=GoalPeriod.Status.COMPLETED) | Q(period__end__lt=today)
    )
    achievement = completed.aggregate(
        total=Count("pk"),
        achieved=Count("pk", filter=Q(status__in=[Goal.Status.ACHIEVED, Goal.Status.EXCEEDED])),
    )
    this_week = today - timedelta(days=today.weekday())
    weeks = [this_week - timedelta(weeks=back) for back in range(WEEKS, 0, -1)]
    checked_in = dict(
        CheckIn.objects.filter(user_id__in=member_ids, week_start__in=weeks)
        .values("week_start")
        .annotate(people=Count("user_id", distinct=True))
        .values_list("week_start", "people")
    )
    views_by_day = (
        DashboardView.objects.filter(
            user_id__in=member_ids,
            viewed_at__date__gte=weeks[0],
            viewed_at__date__lt=this_week,
        )
        .annotate(day=TruncDate("viewed_at"))
        .values("day")
        .annotate(views=Count("pk"))
        .values_list("day", "views")
    )
    views: dict[date, int] = defaultdict(int)
    for day, count in views_by_day:
        views[day - timedelta(days=day.weekday())] += count
    completion = [_share(checked_in.get(week, 0), members) for week in weeks]
    per_member = [
        (Decimal(views[week]) / members).quantize(Decimal("0.1")) if members else None
        for week in weeks
    ]
    last_week = weeks[-1]
    measures = [
        _measure(
            "Members with a goal this period",
            _share(with_goal, members),
            100,
            f"{with_goal} of {members} members",
        ),
        _measure(
            "Weekly check-in completion (last week)",
            completion[-1],
            90,
            f"{checked_in.get(last_week, 0)} of {members} members checked in "
            f"in the week of {last_week:%d %b}",
        ),
        _measure(
            "Goal achievement rate of completed periods",
            _share(achievement["achieved"], achievement["total"]),
            80,
            f"{achievement['achieved']} of {achievement['total']} goals achieved or exceeded",
        ),
        HealthMeasure(
            name="Dashboard views per member (last week)",
            value=per_member[-1],
            value_display=display.number(per_member[-1]),
            target_display="",
            meets_target=None,
            detail=f"{views[last_week]} views by {members} members",
        ),
    ]
    chart = health_trend_figure(
        weeks=weeks,
        percents=[("Check-in completion %", completion)],
        counts=[("Dashboard views per member", per_member)],
    )
    return ProgramHealth(
        scope_label=scope_label,
        member_count=members,
        measures=measures,
        weeks=weeks,
        checkin_completion=completion,
        views_per_member=per_member,
        trend_chart=chart,
    )
