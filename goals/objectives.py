"""Objectives: their writes (one validation path for the pages, the API and Django admin) and
their roll-up.

An objective's progress is the weighted roll-up of the progress of the team goals aligned to it,
read from what the recalculation stored, with the goals' own status rules (goals.progress):

- a goal counts with its weight; goals without data are left out (as a team roll-up does);
- a maintain goal is a floor or a ceiling, not a way to travel: while its period runs, one that
  holds counts as exactly on pace (the period's elapsed share), one that is breached counts 0;
  once the period is over it counts 100 if it held (its own progress), else 0. So a company
  objective made only of floors that hold reads "on track", never "achieved" before the end;
- the expected progress is the weighted expected progress of the same goals (an accumulating
  metric's pace for QBR completion, the elapsed share for the others), and the status is
  goal_status over the two: achieved at 100, on track within the on-track margin of the pace,
  at risk within the at-risk margin, behind beyond. An objective has no stretch: it is never
  "exceeded";
- the forecast is the weighted progress the goals' forecasts project for the period end (goals
  without a forecast count their current progress).

Visibility: the roll-up counts every aligned goal, those the reader may not see included, so an
objective reads one figure for everybody; a reader who cannot see some of them is told so
("includes goals you cannot see"). Where exactly one counted goal is hidden from the reader,
the figure together with the visible goals would give away that goal's progress, so that
reader gets no figure, status or forecast for the objective (`withheld`). With two or more
hidden goals only their weighted average is implied, as any team total implies its members'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from goals_project.people.models import Membership, Team, User
from metrics.registry import get_metric

from . import access
from .models import Goal, GoalPeriod, Objective, one_line_error
from .progress import (
    HUNDRED,
    MAINTAIN,
    ZERO,
    expected_progress,
    goal_status,
    holds,
    metric_progress,
    quantize,
)
from .services import DESCRIPTION_MAX_LENGTH, goal_update

UNSEEN_NOTE = "includes goals you cannot see"


# ---------------------------------------------------------------------------------------------
# Writes


def _validate_objective(
    *,
    objective: Objective,
    owners: Sequence[User],
    creating: bool,
    errors: dict[str, str] | None = None,
) -> None:
    errors = errors if errors is not None else {}
    name = objective.name.strip()
    if not name:
        errors["name"] = "An objective needs a name: the aim in a sentence."
    elif one_line_error(name, "An objective's name"):
        errors["name"] = one_line_error(name, "An objective's name")
    if len(objective.description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = (
            f"Keep the description to {DESCRIPTION_MAX_LENGTH:,} characters "
            f"(it has {len(objective.description):,})."
        )
    if objective.visibility not in Goal.Visibility.values:
        errors["visibility"] = (
            f"Unknown visibility {objective.visibility!r}: use public or private."
        )
    if creating and objective.period.status == GoalPeriod.Status.COMPLETED:
        errors["period"] = (
            f"The period {objective.period.name} is completed; it takes no new objectives."
        )
    inactive = [owner for owner in owners if not owner.is_active]
    if inactive:
        errors["owners"] = f"{inactive[0]} has left: choose owners who are still here."
    elif objective.team_id is not None and owners:
        on_team = set(
            Membership.objects.filter(team_id=objective.team_id, user__in=owners).values_list(
                "user_id", flat=True
            )
        )
        strangers = [owner for owner in owners if owner.pk not in on_team]
        if strangers:
            errors["owners"] = (
                f"{strangers[0]} is not on {objective.team}: a team objective is owned by "
                "people of that team."
            )
    if errors:
        raise ValidationError(errors)


def objective_validate(
    *,
    objective: Objective,
    owners: Sequence[User] = (),
) -> None:
    """Check an objective built elsewhere (Django admin's form) with the services' rules."""
    _validate_objective(objective=objective, owners=owners, creating=objective.pk is None)


@transaction.atomic
def objective_create(
    *,
    period: GoalPeriod,
    name: str,
    created_by: User | None,
    team: Team | None = None,
    description: str = "",
    owners: Iterable[User] = (),
    visibility: str = Goal.Visibility.PUBLIC,
) -> Objective:
    """Create a company objective (no team) or a team objective for a period."""
    owners = list(owners)
    objective = Objective(
        period=period,
        team=team,
        name=name.strip(),
        description=description.strip(),
        visibility=visibility,
        created_by=created_by,
    )
    _validate_objective(objective=objective, owners=owners, creating=True)
    objective.save()
    objective.owners.set(owners)
    return objective


@transaction.atomic
def objective_update(
    *,
    objective: Objective,
    name: str | None = None,
    description: str | None = None,
    owners: Iterable[User] | None = None,
    visibility: str | None = None,
) -> Objective:
    """Rename an objective, change its description, owners or visibility. Its period and level
    stay: its goals are aligned to them."""
    objective = (
        Objective.objects.select_for_update(of=("self",))
        .select_related("period", "team")
        .get(pk=objective.pk)
    )
    if name is not None:
        objective.name = name.strip()
    if description is not None:
        objective.description = description.strip()
    if visibility is not None:
        objective.visibility = visibility
    owner_list = list(owners) if owners is not None else list(objective.owners.all())
    _validate_objective(objective=objective, owners=owner_list, creating=False)
    objective.save()
    if owners is not None:
        objective.owners.set(owner_list)
    return objective


def goal_align(
    *, goal: Goal, objective: Objective | None, by: User | None, reason: str = ""
) -> Goal:
    """Align a team goal to an objective (None: to none). The move is checked by the goal's
    rules and leaves an adjustment row (field `objective`, old and new objective)."""
    return goal_update(goal=goal, by=by, reason=reason, objective=objective)


# ---------------------------------------------------------------------------------------------
# Roll-up


@dataclass(frozen=True)
class RollUp:
    """An objective's roll-up as one reader may see it."""

    progress: Decimal | None
    expected_progress: Decimal | None
    status: str
    forecast_progress: Decimal | None
    counted: int  # aligned goals with data
    hidden: int  # aligned goals the reader may not see
    withheld: bool  # the figure would reveal a hidden goal: no progress, status or forecast

    @property
    def note(self) -> str:
        return UNSEEN_NOTE if self.hidden else ""


def _origin(goal: Goal) -> Decimal | None:
    """Where an accumulating metric's progress starts (its range's floor), else None."""
    try:
        metric = get_metric(goal.metric_key) if goal.metric_key else None
    except KeyError:
        return None
    return (metric.value_range[0] or ZERO) if metric and metric.accumulates else None


def _counted(goal: Goal, *, today: date) -> tuple[Decimal, Decimal, Decimal] | None:
    """(progress, expected progress, forecast progress) as the roll-up counts the goal, or
    None for a goal without data."""
    period = goal.period
    if goal.progress is None:
        return None
    elapsed = expected_progress(start=period.start, end=period.end, as_of=today)
    over = today > period.end
    if goal.goal_type == Goal.Type.METRIC and goal.direction == MAINTAIN:
        held = goal.progress >= HUNDRED
        counted = (HUNDRED if over else elapsed) if held else ZERO
        forecast_holds = goal.forecast_value is None or holds(
            value=goal.forecast_value, mark=goal.target, side=goal.maintain_side
        )
        forecast = HUNDRED if held and forecast_holds else ZERO
        return counted, (HUNDRED if over else elapsed), forecast
    expected = goal.expected_progress if goal.expected_progress is not None else elapsed
    forecast = None
    if goal.goal_type == Goal.Type.METRIC and goal.forecast_value is not None:
        forecast = metric_progress(
            direction=goal.direction,
            baseline=goal.baseline,
            target=goal.target,
            value=goal.forecast_value,
            side=goal.maintain_side,
            origin=_origin(goal),
        )
    return goal.progress, expected, forecast if forecast is not None else goal.progress


def _weighted(pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    total = sum((weight for _, weight in pairs), ZERO)
    if not total:
        return None
    return sum((value * weight for value, weight in pairs), ZERO) / total


def roll_up(goals: Iterable[Goal], *, today: date, hidden: int = 0) -> RollUp:
    """The roll-up of an objective's aligned goals (all of them, see the module docstring);
    `hidden` says how many of them the reader may not see."""
    progress, expected, forecast = [], [], []
    for goal in goals:
        counted = _counted(goal, today=today)
        if counted is None:
            continue
        progress.append((counted[0], goal.weight))
        expected.append((counted[1], goal.weight))
        forecast.append((counted[2], goal.weight))
    rolled = _weighted(progress)
    rolled_expected = _weighted(expected)
    if hidden == 1:
        return RollUp(None, None, Goal.Status.NO_DATA, None, len(progress), hidden, True)
    status = goal_status(progress=quantize(rolled), expected=quantize(rolled_expected))
    return RollUp(
        progress=quantize(rolled),
        expected_progress=quantize(rolled_expected),
        status=status,
        forecast_progress=quantize(_weighted(forecast)),
        counted=len(progress),
        hidden=hidden,
        withheld=False,
    )


def aligned_goals(objective_ids: Iterable[int], viewer: access.AnyUser) -> QuerySet[Goal]:
    """Every live goal aligned to these objectives with `visible` for the viewer (one query)."""
    goals = Goal.objects.filter(
        objective_id__in=list(objective_ids), archived_at__isnull=True
    ).select_related("period", "owner", "team")
    if access.is_admin(viewer):
        return goals.annotate(visible=Exists(Goal.objects.filter(pk=OuterRef("pk"))))
    visible = access.visible_goals(viewer).filter(pk=OuterRef("pk"))
    return goals.annotate(visible=Exists(visible))


def roll_ups(
    objectives: Sequence[Objective], *, viewer: access.AnyUser, today: date | None = None
) -> dict[int, tuple[RollUp, list[Goal]]]:
    """Each objective's roll-up for the viewer and its aligned goals the viewer may see
    (one query for all of them)."""
    today = today or timezone.localdate()
    by_objective: dict[int, list[Goal]] = {objective.pk: [] for objective in objectives}
    for goal in aligned_goals(by_objective, viewer).order_by("team__name", "name", "pk"):
        by_objective[goal.objective_id].append(goal)
    result = {}
    for objective_id, goals in by_objective.items():
        seen = [goal for goal in goals if goal.visible]
        result[objective_id] = (
            roll_up(goals, today=today, hidden=len(goals) - len(seen)),
            seen,
        )
    return result
