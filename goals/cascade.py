"""Cascading a team goal to its members in one step, with a suggested split of the target.

The split comes from each member's book: their share of the team's denominator for the goal's
metric (starting ARR for NRR, decided renewals for the renewal rate, responses for NPS...), as
`metrics.registry.evaluate` reports it. A rate target is the same for every member (the team
reaches it when each member does) and the share becomes the member goal's weight, so a roll-up
counts members as the metric does. A task count is split by the same shares (equally when the
goal has no metric), by largest remainder so that the counts add up to the team's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from goals_project.people.models import User
from goals_project.people.selectors import team_members
from metrics.registry import evaluate

from .comparison import previous_window, scope_values
from .models import Goal
from .services import goal_create

CENT = Decimal("0.01")
MIN_WEIGHT = Decimal("0.01")


@dataclass
class CascadeRow:
    """One member's suggested individual goal."""

    member: User
    share: Decimal | None  # of the team's denominator, 0..1; None without data
    member_value: Decimal | None
    already_cascaded: bool
    target: Decimal | None
    stretch_target: Decimal | None
    baseline: Decimal | None
    task_target: int | None
    weight: Decimal


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


def cascade_suggestions(*, parent: Goal, today: date) -> list[CascadeRow]:
    """A suggested individual goal for each member of the parent's team (a few queries)."""
    members = list(team_members(parent.team))
    already = set(
        Goal.objects.filter(parent=parent, archived_at__isnull=True).values_list(
            "owner_id", flat=True
        )
    )
    shares: dict[int, Decimal | None] = dict.fromkeys(m.pk for m in members)
    values: dict[int, Decimal | None] = dict.fromkeys(m.pk for m in members)
    baselines: dict[int, Decimal | None] = dict.fromkeys(m.pk for m in members)
    if parent.metric_key and members:
        period = parent.period
        # Before the period starts its book is the previous period's.
        start, end = (
            previous_window(period)
            if today < period.start
            else (period.start, min(today, period.end))
        )
        results = evaluate(
            parent.metric_key,
            start=start,
            end=end,
            user_ids=[m.pk for m in members],
            team_ids=[parent.team_id],
        )
        team_denominator = results.teams[parent.team_id].denominator
        for member in members:
            ratio = results.users[member.pk]
            values[member.pk] = ratio.value
            if team_denominator:
                shares[member.pk] = ratio.denominator / team_denominator
        window = previous_window(period)
        requests = [(parent.metric_key, window, parent.team_id, m.pk) for m in members]
        baselines = {request[3]: value for request, value in scope_values(requests).items()}
    known = [s for s in shares.values() if s is not None]
    if not known:
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
        rows.append(
            CascadeRow(
                member=member,
                share=share,
                member_value=values[member.pk],
                already_cascaded=member.pk in already,
                target=parent.target,
                stretch_target=parent.stretch_target,
                # A goal without a calculator has no book to read: the team's baseline it is.
                baseline=baselines.get(member.pk) if parent.metric_key else parent.baseline,
                task_target=count if count else None,
                weight=weight,
            )
        )
    return rows


@transaction.atomic
def cascade_create(*, parent: Goal, by: User, rows: list[dict]) -> list[Goal]:
    """Create an individual goal under `parent` for each row (member, name, target, stretch_target,
    baseline, task_target, weight): all of them or, on any error, none.

    Errors are raised together, each keyed `m<member id>_<field>`."""
    errors: dict[str, str] = {}
    created = []
    milestones = [
        {"name": m.name, "weight": m.weight, "due_date": m.due_date}
        for m in parent.milestones.all()
    ]
    for row in rows:
        member = row["member"]
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
                        direction=parent.direction,
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
                errors[f"m{member.pk}_{field}"] = " ".join(messages)
    if not rows:
        errors["members"] = "Choose at least one member."
    if errors:
        raise ValidationError(errors)
    return created
