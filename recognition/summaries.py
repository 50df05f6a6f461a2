"""Period-end summaries: built once when a period completes, stored, and rebuildable.

Everything in a summary is read from stored data as of the period's end (the last progress
history row on or before it, contribution snapshots on or before it, badges earned within it),
never from "now", so building it again gives the same result.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone

from goals.mentions import text_for_reader, visible_goal_ids
from goals.models import Goal, GoalPeriod, ProgressHistory
from goals_project.people.models import Team, User
from goals_project.people.selectors import team_members
from notifications.services import notify

from . import kinds
from .badges import CATALOGUE, final_contributions
from .models import BadgeAward, PeriodSummary

TOP_CONTRIBUTORS = 3
REACHED = {Goal.Status.ACHIEVED, Goal.Status.EXCEEDED}
ONE_DECIMAL = Decimal("0.1")
FOUR_DECIMALS = Decimal("0.0001")


def _rate(reached: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(reached) * 100 / Decimal(total)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _value_text(value: Decimal | None) -> str | None:
    """A goal value at the model's 4 decimals, whichever database computed it."""
    return None if value is None else str(Decimal(value).quantize(FOUR_DECIMALS, ROUND_HALF_UP))


def _final_goals(period: GoalPeriod, team: Team) -> list[Goal]:
    """The team's goals of the period with their value and status at the period's end."""
    last = ProgressHistory.objects.filter(goal=OuterRef("pk"), as_of__lte=period.end).order_by(
        "-as_of", "-recorded_at", "-pk"
    )
    goals = list(
        Goal.objects.filter(period=period, team=team, archived_at__isnull=True)
        .select_related("owner")
        .annotate(
            value_at_end=Subquery(last.values("value")[:1]),
            status_at_end=Subquery(last.values("status")[:1]),
            team_first=Case(
                When(owner__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("team_first", "name", "pk")
    )
    for goal in goals:
        # A closed goal keeps what its period's close froze; an open one reads its history.
        if goal.closed_at is None:
            goal.final_value = goal.value_at_end
            goal.final_status = goal.status_at_end or ""
    return goals


def _end_value(goal: Goal) -> Decimal | None:
    """The frozen final value of a closed goal, else its last value up to the period end."""
    if goal.closed_at is not None or goal.final_value is not None:
        return goal.final_value
    return goal.current_value


def _end_status(goal: Goal) -> str:
    """The frozen final status of a closed goal (missed reads as behind), else its last."""
    if goal.final_status == Goal.FinalStatus.MISSED:
        return Goal.Status.BEHIND
    return goal.final_status or goal.status


def _achievement_counts(goals: list[Goal]) -> tuple[int, int, int]:
    statuses = [_end_status(goal) for goal in goals]
    reached = sum(1 for status in statuses if status in REACHED)
    exceeded = sum(1 for status in statuses if status == Goal.Status.EXCEEDED)
    return len(goals), reached, exceeded


def _top_contributors(period: GoalPeriod, team: Team) -> list[dict]:
    """Members by contribution points summed over the team's metric goals at each goal's last
    snapshot within the period."""
    rows = final_contributions(period=period, team=team).values_list(
        "member_id", "member__name", "member__email", "points"
    )
    totals: dict[int, Decimal] = defaultdict(Decimal)
    names: dict[int, str] = {}
    for member_id, name, email, points in rows:
        totals[member_id] += points
        names[member_id] = name or email
    ranked = sorted(totals.items(), key=lambda item: (-item[1], names[item[0]]))
    return [
        {
            "user_id": member_id,
            "name": names[member_id],
            "points": str(points.quantize(ONE_DECIMAL, ROUND_HALF_UP)),
        }
        for member_id, points in ranked[:TOP_CONTRIBUTORS]
    ]


def _badges_earned(period: GoalPeriod, team: Team) -> list[dict]:
    awards = (
        BadgeAward.objects.filter(
            user__membership__team=team,
            earned_on__gte=period.start,
            earned_on__lte=period.end,
        )
        .select_related("user")
        .order_by("earned_on", "user__name", "badge", "scope")
    )
    return [
        {
            "user_id": award.user_id,
            "name": award.user.get_full_name(),
            "badge": CATALOGUE[award.badge].name,
            "reason": award.reason,
            "goal_id": award.goal_id,
            "neutral_reason": award.neutral_reason,
            "earned_on": award.earned_on.isoformat(),
        }
        for award in awards
        if award.badge in CATALOGUE
    ]


def summary_for_reader(data: dict, reader: User) -> tuple[list[dict], list[dict]]:
    """A stored summary's goals and badges as the reader may read them: goals they may not see
    are left out, a badge reason that names one is given in its neutral form (a summary built
    before reasons kept one gives the badge's description instead). One query."""
    badges = data.get("badges", [])
    visible = visible_goal_ids(
        reader, [goal["id"] for goal in data["goals"]] + [b.get("goal_id") for b in badges]
    )
    goals = [goal for goal in data["goals"] if goal["id"] in visible]
    shown = []
    for badge in badges:
        if "neutral_reason" in badge:
            reason = text_for_reader(
                badge["reason"],
                badge["neutral_reason"],
                goal_id=badge["goal_id"],
                visible=badge["goal_id"] in visible,
            )
        else:
            reason = next(
                (b.description for b in CATALOGUE.values() if b.name == badge["badge"]), ""
            )
        shown.append({**badge, "reason": reason})
    return goals, shown


def previous_period(period: GoalPeriod) -> GoalPeriod | None:
    """The period of the same type that ended before this one started."""
    return (
        GoalPeriod.objects.filter(period_type=period.period_type, end__lt=period.start)
        .order_by("-start")
        .first()
    )


def summary_data(*, period: GoalPeriod, team: Team) -> dict:
    """The summary's content (JSON-ready; numbers as decimal strings)."""
    goals = _final_goals(period, team)
    total, reached, exceeded = _achievement_counts(goals)
    rate = _rate(reached, total)
    previous = previous_period(period)
    comparison = None
    if previous is not None:
        previous_total, previous_reached, _ = _achievement_counts(_final_goals(previous, team))
        previous_rate = _rate(previous_reached, previous_total)
        comparison = {
            "period_id": previous.pk,
            "name": previous.name,
            "goals_total": previous_total,
            "goals_achieved": previous_reached,
            "achievement_rate": _text(previous_rate),
            "rate_change": _text(
                rate - previous_rate if rate is not None and previous_rate is not None else None
            ),
        }
    return {
        "period": {
            "id": period.pk,
            "name": period.name,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "team": {"id": team.pk, "name": team.name},
        "goals_total": total,
        "goals_achieved": reached,
        "goals_exceeded": exceeded,
        "achievement_rate": _text(rate),
        "goals": [
            {
                "id": goal.pk,
                "name": goal.name,
                "owner": goal.owner.get_full_name() if goal.owner_id else None,
                "metric_key": goal.metric_key,
                "final_value": _value_text(_end_value(goal)),
                "target": _value_text(goal.target),
                "stretch_target": _value_text(goal.stretch_target),
                "status": _end_status(goal),
                "reached_target": _end_status(goal) in REACHED,
                "reached_stretch": _end_status(goal) == Goal.Status.EXCEEDED,
                # The OKR grades frozen when the period closed (goals.lifecycle).
                "grade": _text(goal.final_grade),
                "stretch_grade": _text(goal.final_stretch_grade),
            }
            for goal in goals
        ],
        "top_contributors": _top_contributors(period, team),
        "badges": _badges_earned(period, team),
        "previous": comparison,
    }


@transaction.atomic
def period_summary_build(*, period: GoalPeriod, team: Team) -> PeriodSummary:
    """Build (or rebuild) a team's summary of a period; the content depends on stored data only."""
    summary, _ = PeriodSummary.objects.update_or_create(
        period=period,
        team=team,
        defaults={"data": summary_data(period=period, team=team), "built_at": timezone.now()},
    )
    return summary


def summary_url(summary: PeriodSummary) -> str:
    return reverse("recognition:period_summary", args=[summary.team_id, summary.period_id])


@transaction.atomic
def period_summary_announce(*, summary: PeriodSummary) -> bool:
    """Tell the team once (in-app, and by email per each member's preference)."""
    claimed = PeriodSummary.objects.filter(pk=summary.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    data = summary.data
    rate = data["achievement_rate"]
    body = (
        f"{data['goals_achieved']} of {data['goals_total']} goals achieved"
        + (f" ({rate}%)" if rate is not None else "")
        + "."
    )
    notify(
        users=team_members(summary.team).select_related("notification_settings"),
        kind=kinds.PERIOD_SUMMARY,
        title=f"{summary.team.name}: {summary.period.name} summary",
        body=body,
        url=summary_url(summary),
    )
    return True


def period_summaries_complete(*, period: GoalPeriod) -> list[PeriodSummary]:
    """A completed period: build each team's summary once and announce it once."""
    if period.status != GoalPeriod.Status.COMPLETED:
        return []
    summaries = []
    teams = Team.objects.filter(goals__period=period).distinct().order_by("name")
    existing = set(PeriodSummary.objects.filter(period=period).values_list("team_id", flat=True))
    for team in teams:
        if team.pk in existing:
            summary = PeriodSummary.objects.select_related("team", "period").get(
                period=period, team=team
            )
        else:
            summary = period_summary_build(period=period, team=team)
        period_summary_announce(summary=summary)
        summaries.append(summary)
    return summaries


def period_summaries_rebuild(*, period: GoalPeriod) -> list[PeriodSummary]:
    """Rebuild a closed period's summaries from its frozen goals (grades included); each team's
    summary is still announced once."""
    summaries = []
    for team in Team.objects.filter(goals__period=period).distinct().order_by("name"):
        summary = period_summary_build(period=period, team=team)
        period_summary_announce(summary=summary)
        summaries.append(summary)
    return summaries


def period_summaries_due() -> list[PeriodSummary]:
    """The daily safety net: every completed period whose summaries are missing or unsent."""
    built: list[PeriodSummary] = []
    periods = GoalPeriod.objects.filter(status=GoalPeriod.Status.COMPLETED)
    for period in periods.order_by("start"):
        if PeriodSummary.objects.filter(period=period, emailed_at__isnull=True).exists() or (
            Team.objects.filter(goals__period=period)
            .exclude(period_summaries__period=period)
            .exists()
        ):
            built.extend(period_summaries_complete(period=period))
    return built


def period_summaries_after_recalculation(*, goal_ids: list[int]) -> list[PeriodSummary]:
    """The last recalculation of a completed period (the roll-over runs one) builds, or rebuilds
    with the final values, the summaries of the teams concerned; each is announced once."""
    pairs = (
        Goal.objects.filter(pk__in=goal_ids, period__status=GoalPeriod.Status.COMPLETED)
        .values_list("period_id", "team_id")
        .distinct()
        .order_by("period_id", "team_id")
    )
    summaries = []
    for period_id, team_id in pairs:
        summary = period_summary_build(
            period=GoalPeriod.objects.get(pk=period_id), team=Team.objects.get(pk=team_id)
        )
        period_summary_announce(summary=summary)
        summaries.append(summary)
    return summaries
