"""Cascading a team goal to its members in one step, with suggested goals that are always valid.

For a team metric goal each member is asked for the team's target. The team's value is its
members' values weighted by their share of the team's book (the metric's denominator: starting
ARR for NRR, decided renewals for the renewal rate, responses for NPS, expected QBRs...; see
metrics.registry, the contribution decomposition), so when every member reaches the target the
team does too. Each member starts from their own value over the previous period (the
baseline); a member already at or past the target keeps it as a floor (a ceiling for a goal to
decrease) instead of being asked to "increase" to a value below where they are. The share
becomes the member goal's weight, so a roll-up counts members as the metric does. An
accumulating metric (QBR completion) fills up from 0 every period: every member aims at the
target and the baseline is only for comparison. Members without data are left unticked with a
prompt saying what to enter.

A task count is split by the same shares (equally when the goal has no metric), by largest
remainder so that the counts add up to the team's; a milestone goal gives everyone its
milestones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from goals_project.people.models import User
from goals_project.people.selectors import team_members
from metrics.registry import Metric, evaluate, get_metric

from . import tasks
from .comparison import previous_window, scope_values
from .display import short
from .models import Goal
from .services import goal_create

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
MIN_WEIGHT = Decimal("0.01")

# What a suggested row asks of a member: (direction, side kept by a maintain goal).
AIMS: dict[str, tuple[str, str]] = {
    "increase": (Goal.Direction.INCREASE, Goal.Side.FLOOR),
    "decrease": (Goal.Direction.DECREASE, Goal.Side.FLOOR),
    "floor": (Goal.Direction.MAINTAIN, Goal.Side.FLOOR),
    "ceiling": (Goal.Direction.MAINTAIN, Goal.Side.CEILING),
}
AIM_LABELS = {
    "increase": "Increase to",
    "decrease": "Decrease to",
    "floor": "Keep at or above",
    "ceiling": "Keep at or below",
}


@dataclass
class CascadeRow:
    """One member's suggested individual goal."""

    member: User
    share: Decimal | None  # of the team's denominator, 0..1; None without data
    member_value: Decimal | None
    already_cascaded: bool
    aim: str  # a key of AIMS
    target: Decimal | None
    stretch_target: Decimal | None
    baseline: Decimal | None
    task_target: int | None
    weight: Decimal
    prompt: str = ""  # why the row is not ticked, and what to enter to include the member

    @property
    def suggested(self) -> bool:
        """Ticked when the page opens: valid as it stands, and not cascaded already."""
        return not self.prompt and not self.already_cascaded


def _largest_remainder(total: int, shares: list[Decimal]) -> list[int]:
    """Whole counts proportional to shares that add up exactly to total."""
    if not shares:
        return []
    exact = [total * share for share in shares]
    counts = [int(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def parent_aim(parent: Goal) -> str:
    """What the team goal itself asks, as an aim."""
    if parent.direction == Goal.Direction.MAINTAIN:
        return "ceiling" if parent.maintain_side == Goal.Side.CEILING else "floor"
    return parent.direction


def member_aim(parent: Goal, metric: Metric | None, baseline: Decimal | None) -> str:
    """The team's aim, except that a member already at or past the team's target keeps it (a
    floor, or a ceiling for a goal to decrease) rather than moving towards a value behind them.
    An accumulating metric starts from 0 every period: everyone aims at the target."""
    aim = parent_aim(parent)
    if metric is not None and metric.accumulates:
        return aim
    if baseline is None or parent.target is None:
        return aim
    if aim == "increase" and baseline >= parent.target:
        return "floor"
    if aim == "decrease" and baseline <= parent.target:
        return "ceiling"
    return aim


def rule_text(parent: Goal) -> str:
    """The rule of the suggested rows, for the page."""
    if parent.goal_type == Goal.Type.TASK:
        return (
            f"The {parent.task_target} tasks are split between the members by their share of "
            "the team's book (equally without a metric), so the parts add up to the team's."
        )
    if parent.goal_type == Goal.Type.MILESTONE:
        return "Each member gets the same milestones."
    if not parent.metric_key:
        return "Each member starts from the team's baseline and target; the weights are equal."
    metric = get_metric(parent.metric_key)
    target = short(parent.target, metric.unit)
    text = (
        f"Every member is asked for the team's target, {target}. The team's "
        f"{metric.label} is its members' values weighted by their share of the team's book "
        f"(what the metric divides by: the Share column, which becomes each goal's weight), so "
        f"when every member reaches {target} the team does too."
    )
    if metric.accumulates:
        return text + (
            f" {metric.label} fills up from 0 every period, so each goal counts from 0; the "
            "baseline (last period's value) is there to compare."
        )
    keep = "at or below" if parent_aim(parent) in ("decrease", "ceiling") else "at or above"
    return text + (
        " Each member starts from their own value over the previous period (the baseline); a "
        f"member already there keeps {keep} it instead (a maintain goal)."
    )


def cascade_suggestions(*, parent: Goal, today: date) -> list[CascadeRow]:
    """A suggested individual goal for each member of the parent's team (a few queries).

    Every row ticked by default is valid as it stands: submitting the page unchanged creates
    them all."""
    members = list(team_members(parent.team))
    already = set(
        Goal.objects.filter(parent=parent, archived_at__isnull=True).values_list(
            "owner_id", flat=True
        )
    )
    shares: dict[int, Decimal | None] = dict.fromkeys(m.pk for m in members)
    values: dict[int, Decimal | None] = dict.fromkeys(m.pk for m in members)
    baselines: dict[int, Decimal | None] = dict.fromkeys(m.pk for m in members)
    metric = get_metric(parent.metric_key) if parent.metric_key else None
    window = previous_window(parent.period)
    if metric is not None and members:
        period = parent.period
        # Before the period starts its book is the previous period's.
        start, end = window if today < period.start else (period.start, min(today, period.end))
        results = evaluate(
            metric.key,
            start=start,
            end=end,
            user_ids=[m.pk for m in members],
            team_ids=[parent.team_id],
        )
        team_denominator = results.teams[parent.team_id].denominator
        for member in members:
            ratio = results.users[member.pk]
            values[member.pk] = ratio.value
            if team_denominator and ratio.denominator:
                shares[member.pk] = ratio.denominator / team_denominator
        requests = [(metric.key, window, parent.team_id, m.pk) for m in members]
        baselines = {request[3]: value for request, value in scope_values(requests).items()}
    known = [s for s in shares.values() if s is not None]
    if metric is None and not known:
        equal = Decimal(1) / len(members) if members else Decimal(0)
        shares = dict.fromkeys(shares, equal)
    counts = (
        _largest_remainder(parent.task_target, [shares[m.pk] or Decimal(0) for m in members])
        if parent.goal_type == Goal.Type.TASK and parent.task_target
        else [None] * len(members)
    )
    rows = []
    for member, count in zip(members, counts, strict=True):
        share = shares[member.pk]
        weight = max((share or Decimal(0)) * 100, MIN_WEIGHT).quantize(CENT, ROUND_HALF_UP)
        # A goal without a calculator has no book to read: the team's baseline it is. A value
        # from the data is rounded to a tenth, as a person would type it.
        baseline = baselines.get(member.pk) if metric else parent.baseline
        if metric is not None and baseline is not None:
            baseline = baseline.quantize(TENTH, ROUND_HALF_UP)
        aim = member_aim(parent, metric, baseline)
        rows.append(
            CascadeRow(
                member=member,
                share=share,
                member_value=values[member.pk],
                already_cascaded=member.pk in already,
                aim=aim,
                target=parent.target,
                stretch_target=parent.stretch_target,
                baseline=baseline,
                task_target=count if count else None,
                weight=weight,
                prompt=_prompt(parent, metric, member, share, baseline, aim, window),
            )
        )
    return rows


def _prompt(parent, metric, member, share, baseline, aim, window) -> str:
    """Why a member's row is not ticked, and what to enter to include them; "" when it is."""
    if parent.goal_type == Goal.Type.METRIC and parent.target is None:
        return f"{parent.name} has no target of its own: enter a target to include {member}."
    if metric is None:
        return ""
    if aim in ("increase", "decrease") and not metric.accumulates and baseline is None:
        start, end = window
        return (
            f"No {metric.label} data for {member} over the previous period ({start} to {end}): "
            "enter a baseline to include them."
        )
    if share is None:
        return (
            f"Nothing in {member}'s book counts for {metric.label} yet: tick the row to "
            "include them anyway."
        )
    return ""


@transaction.atomic
def cascade_create(*, parent: Goal, by: User, rows: list[dict]) -> list[Goal]:
    """Create an individual goal under `parent` for each row (member, name, aim, target,
    stretch_target, baseline, task_target, weight): all of them or, on any error, none.

    `aim` (a key of AIMS) sets the direction and the side a maintain goal keeps; without it the
    parent's direction and side are used. Errors are raised together, each keyed
    `m<member id>_<field>`."""
    errors: dict[str, str] = {}
    created = []
    milestones = [
        {"name": m.name, "weight": m.weight, "due_date": m.due_date}
        for m in parent.milestones.all()
    ]
    # One backfill pass for all the new goals (and one recalculation), after commit.
    with tasks.one_recalculation_for_all():
        for row in rows:
            member = row["member"]
            aim = row.get("aim") or ""
            direction, side = AIMS.get(aim, (parent.direction, parent.maintain_side))
            try:
                with transaction.atomic():
                    created.append(
                        goal_create(
                            period=parent.period,
                            team=parent.team,
                            owner=member,
                            parent=parent,
                            name=row["name"],
                            goal_type=parent.goal_type,
                            metric_key=parent.metric_key,
                            direction=direction,
                            maintain_side=side,
                            unit=parent.unit,
                            description=parent.description,
                            baseline=row.get("baseline"),
                            target=row.get("target"),
                            stretch_target=row.get("stretch_target"),
                            task_target=row.get("task_target"),
                            weight=row.get("weight") or Decimal(1),
                            visibility=parent.visibility,
                            show_in_leaderboard=parent.show_in_leaderboard,
                            milestones=milestones,
                            created_by=by,
                        )
                    )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    field = "aim" if field in ("direction", "maintain_side") else field
                    errors[f"m{member.pk}_{field}"] = " ".join(messages)
    if not rows:
        errors["members"] = "Choose at least one member."
    if errors:
        raise ValidationError(errors)
    return created
