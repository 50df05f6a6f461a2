"""The metric registry: one object per metric. Adding a metric is adding one `Metric` here.

Contract used by the goals engine (do not change a signature without updating its callers):

    Ratio(numerator, denominator).value -> Decimal | None     # numerator / denominator x 100
    get_metric(key) -> Metric                                  # KeyError names the unknown key
    evaluate(key, start=, end=, user_ids=, team_ids=) -> ScopeResults
        .users[user_id] -> Ratio          (every asked user; Ratio(0, 0) when no data)
        .teams[team_id] -> Ratio          (sum over the team's members, leads included)
        .contributions[team_id][user_id] -> Decimal | None   points; they sum to the team value
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from goals_project.people.models import Membership

from . import calculators
from .ratio import HUNDRED, Ratio

__all__ = [
    "ACCUMULATING",
    "ALIASES",
    "HUNDRED",
    "LEVEL",
    "METRICS",
    "Metric",
    "Ratio",
    "ScopeResults",
    "contribution_points",
    "evaluate",
    "get_metric",
]

# calculate(user_ids, start, end) -> {user_id: Ratio}: one set-based pass for every owner.
Calculator = Callable[[Collection[int], date, date], dict[int, Ratio]]
# pace(start, end, as_of) -> the share (0..1) of its value over [start, end] an accumulating
# metric is expected to have reached on as_of.
Pace = Callable[[date, date, date], Decimal]


LEVEL = "level"
ACCUMULATING = "accumulating"


@dataclass(frozen=True)
class Metric:
    """One metric. `value_range` is (lowest, highest) a value can take (None: unbounded on that
    side). `shape` says how the period-to-date value moves through a period: a *level* (NRR,
    GRR, renewal rate, NPS) is meaningful from day one, while an *accumulating* metric (QBR
    completion: done over expected for the whole quarter) starts near 0 and fills up; its
    `pace` says how much of the window's value is expected by a day (see expected_share)."""

    key: str
    label: str
    unit: str
    direction_hint: str  # "increase" or "decrease": which way is better
    calculate: Calculator
    description: str = ""
    value_range: tuple[Decimal | None, Decimal | None] = (None, None)
    shape: str = LEVEL
    pace: Pace | None = None

    @property
    def accumulates(self) -> bool:
        return self.shape == ACCUMULATING

    def expected_share(self, *, start: date, end: date, as_of: date) -> Decimal:
        """The share (0..1) of its value over [start, end] this metric is expected to have
        reached on `as_of`: 1 for a level (it is meaningful every day), the metric's pace for an
        accumulating one (the elapsed share of the window when it declares none)."""
        if not self.accumulates:
            return Decimal(1)
        if self.pace is not None:
            return self.pace(start, end, as_of)
        total = (end - start).days + 1
        elapsed = min(max((as_of - start).days + 1, 0), total)
        return Decimal(elapsed) / Decimal(total)


@dataclass
class ScopeResults:
    users: dict[int, Ratio] = field(default_factory=dict)
    teams: dict[int, Ratio] = field(default_factory=dict)
    contributions: dict[int, dict[int, Decimal | None]] = field(default_factory=dict)


METRICS: dict[str, Metric] = {
    metric.key: metric
    for metric in (
        Metric(
            key="nrr",
            label="Net revenue retention",
            unit="%",
            direction_hint="increase",
            calculate=calculators.net_revenue_retention,
            value_range=(Decimal(0), None),
            description="ARR at the end of the window of the customers that had ARR at its "
            "start, over their ARR at the start. Expansion counts, churn counts as 0, "
            "customers new after the start are left out.",
        ),
        Metric(
            key="grr",
            label="Gross revenue retention",
            unit="%",
            direction_hint="increase",
            calculate=calculators.gross_revenue_retention,
            value_range=(Decimal(0), HUNDRED),
            description="Like NRR, but each customer counts at most its starting ARR, so "
            "expansion never counts and the value is at most 100%.",
        ),
        Metric(
            key="renewal_rate",
            label="Renewal rate",
            unit="%",
            direction_hint="increase",
            calculate=calculators.renewal_rate,
            value_range=(Decimal(0), HUNDRED),
            description="Renewals due in the window that were renewed, over those renewed or "
            "churned. Pending renewals are not counted.",
        ),
        Metric(
            key="nps",
            label="NPS",
            unit="points",
            direction_hint="increase",
            calculate=calculators.net_promoter_score,
            value_range=(Decimal(-100), HUNDRED),
            description="Promoters (9-10) minus detractors (0-6), over all responses in the "
            "window, from -100 to 100.",
        ),
        Metric(
            key="qbr_completion",
            label="QBR completion",
            unit="%",
            direction_hint="increase",
            calculate=calculators.qbr_completion,
            value_range=(Decimal(0), HUNDRED),
            shape=ACCUMULATING,
            pace=calculators.qbr_completion_pace,
            description="QBRs completed over QBRs expected: one per active customer (ARR > 0) "
            "per calendar quarter overlapping the window.",
        ),
    )
}

# The PRD calls the logo renewal rate "retention rate"; both keys name the same metric.
ALIASES: dict[str, str] = {"retention_rate": "renewal_rate"}


def get_metric(key: str) -> Metric:
    """The metric registered under `key` (or an alias); KeyError names the unknown key."""
    try:
        return METRICS[ALIASES.get(key, key)]
    except KeyError:
        known = ", ".join(sorted([*METRICS, *ALIASES]))
        raise KeyError(f"Unknown metric {key!r}: use one of {known}.") from None


def contribution_points(members: dict[int, Ratio], team: Ratio) -> dict[int, Decimal | None]:
    """Each member's share of the team value in points: member numerator / team denominator.

    The points add up exactly to the team value: Decimal division rounds in the 28th digit, and
    that rounding residue is given to the largest contributor so that the sum is exact.
    """
    if not team.denominator:
        return dict.fromkeys(members)
    points = {
        user_id: ratio.numerator / team.denominator * HUNDRED for user_id, ratio in members.items()
    }
    residue = team.value - sum(points.values(), Decimal(0))
    if residue:
        largest = max(points, key=lambda user_id: (abs(points[user_id]), -user_id))
        points[largest] += residue
    return points


def evaluate(
    key: str,
    *,
    start: date,
    end: date,
    user_ids: Collection[int] = (),
    team_ids: Collection[int] = (),
) -> ScopeResults:
    """The metric over the inclusive window for every asked user and team, in a few queries.

    A team's ratio is the sum of its members' ratios (leads included), so the team value
    decomposes exactly into the members' contributions.
    """
    metric = get_metric(key)
    members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    if members:
        for team_id, user_id in Membership.objects.filter(team_id__in=list(members)).values_list(
            "team_id", "user_id"
        ):
            members[team_id].append(user_id)
    owners = set(user_ids).union(*members.values())
    by_owner = metric.calculate(owners, start, end) if owners else {}
    results = ScopeResults(users={user_id: by_owner.get(user_id, Ratio()) for user_id in user_ids})
    for team_id, member_ids in members.items():
        member_ratios = {user_id: by_owner.get(user_id, Ratio()) for user_id in member_ids}
        team = sum(member_ratios.values(), Ratio())
        results.teams[team_id] = team
        results.contributions[team_id] = contribution_points(member_ratios, team)
    return results
