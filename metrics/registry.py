"""The metric registry: one object per metric. Adding a metric is adding one `Metric` here.

Contract used by the goals engine (do not change a signature without updating its callers):

    Ratio(numerator, denominator).value -> Decimal | None     # numerator / denominator x 100
    get_metric(key) -> Metric                                  # KeyError names the unknown key
    evaluate(key, start=, end=, user_ids=, team_ids=) -> ScopeResults
        .users[user_id] -> Ratio          (every asked user; Ratio(0, 0) when no data)
        .teams[team_id] -> Ratio          (sum over the team's members, leads included)
        .contributions[team_id][user_id] -> Decimal | None   points; they sum to the team value
    evaluate_metrics({key: (user_ids, team_ids)}, start=, end=) -> {key: ScopeResults}
        several metrics over one window: metrics that share a pass (NRR, GRR and QBR
        completion) make one
    evaluate_daily({key: (user_ids, team_ids)}, start=, end=) -> {key: [ScopeResults, ...]}
        each metric over [start, day] for every day from start to end, in one pass
    daily_values(keys, start=, end=, user_ids=, team_ids=) -> {key: array (scopes, days)}
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np

from goals_project.people.models import Membership

from . import calculators, series
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
    "daily_values",
    "evaluate_daily",
    "evaluate_metrics",
    "get_metric",
]

# calculate(user_ids, start, end) -> {user_id: Ratio}: one set-based pass for every owner.
Calculator = Callable[[Collection[int], date, date], dict[int, Ratio]]
# joint(user_ids, start, end, keys) -> {key: {user_id: Ratio}} for the metrics among `keys`:
# one pass for several metrics.
JointCalculator = Callable[
    [Collection[int], date, date, Collection[str]], dict[str, dict[int, Ratio]]
]
# daily(window) -> Series: the metric over [start, day] for every day, for every owner.
DailyCalculator = Callable[[series.Window], series.Series]
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
    `pace` says how much of the window's value is expected by a day (see expected_share).
    Metrics with the same `joint` calculator are computed in one pass when asked together
    (NRR, GRR and QBR completion read each customer's ARR on the same dates)."""

    key: str
    label: str
    unit: str
    direction_hint: str  # "increase" or "decrease": which way is better
    calculate: Calculator
    daily: DailyCalculator
    description: str = ""
    value_range: tuple[Decimal | None, Decimal | None] = (None, None)
    shape: str = LEVEL
    pace: Pace | None = None
    joint: JointCalculator | None = None

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
            daily=series.net_revenue_retention,
            joint=calculators.customer_book,
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
            daily=series.gross_revenue_retention,
            joint=calculators.customer_book,
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
            daily=series.renewal_rate,
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
            daily=series.net_promoter_score,
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
            daily=series.qbr_completion,
            value_range=(Decimal(0), HUNDRED),
            shape=ACCUMULATING,
            pace=calculators.qbr_completion_pace,
            joint=calculators.customer_book,
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
    return evaluate_metrics({key: (user_ids, team_ids)}, start=start, end=end)[key]


def evaluate_metrics(
    scopes: Mapping[str, tuple[Collection[int], Collection[int]]], *, start: date, end: date
) -> dict[str, ScopeResults]:
    """Several metrics over one window, each for its (user ids, team ids): one query for the
    teams' members, then one pass per metric, or one per joint calculator for the metrics that
    share one (NRR, GRR and QBR completion: one pass for those asked, over their scopes
    together)."""
    metrics = {key: get_metric(key) for key in scopes}
    members = team_members({team_id for _, team_ids in scopes.values() for team_id in team_ids})
    owners = {
        key: set(user_ids).union(*(members[team_id] for team_id in team_ids))
        for key, (user_ids, team_ids) in scopes.items()
    }
    by_owner: dict[str, dict[int, Ratio]] = {}
    for key, metric in metrics.items():
        if key in by_owner:
            continue
        if not owners[key]:
            by_owner[key] = {}
            continue
        together = [
            other
            for other, candidate in metrics.items()
            if metric.joint is not None and candidate.joint is metric.joint
        ]
        if len(together) > 1:
            joint_owners = set().union(*(owners[other] for other in together))
            computed = metric.joint(
                joint_owners, start, end, {metrics[other].key for other in together}
            )
            for other in together:
                by_owner[other] = computed[metrics[other].key]
        else:
            by_owner[key] = metric.calculate(owners[key], start, end)
    return {
        key: scope_results(by_owner[key], user_ids=user_ids, team_ids=team_ids, members=members)
        for key, (user_ids, team_ids) in scopes.items()
    }


def evaluate_daily(
    scopes: Mapping[str, tuple[Collection[int], Collection[int]]], *, start: date, end: date
) -> dict[str, list[ScopeResults]]:
    """Each metric over [start, day] for every day from start to end (what evaluate() gives
    for each of those windows), from one read of the window's customer data for all the
    metrics and scopes (metrics/series.py)."""
    members = team_members({team_id for _, team_ids in scopes.values() for team_id in team_ids})
    owners = set()
    for user_ids, team_ids in scopes.values():
        owners.update(user_ids, *(members[team_id] for team_id in team_ids))
    window = series.Window(owners, start, end)
    results = {}
    for key, (user_ids, team_ids) in scopes.items():
        daily = get_metric(key).daily(window)
        results[key] = [
            scope_results(daily.on(day), user_ids=user_ids, team_ids=team_ids, members=members)
            for day in range(daily.days)
        ]
    return results


def daily_values(
    keys: Collection[str],
    *,
    start: date,
    end: date,
    user_ids: Sequence[int],
    team_ids: Sequence[int],
) -> dict[str, np.ndarray]:
    """Each metric's value (a float; NaN without data) over [start, day] for every day, of
    each user then each team, as an array (users + teams, days): the same numbers as
    evaluate_daily's ratios, without building them (the forecast's calibration reads
    thousands of series)."""
    members = team_members(team_ids)
    window = series.Window(set(user_ids).union(*members.values()), start, end)
    scopes = [[user_id] for user_id in user_ids] + [members[team_id] for team_id in team_ids]
    return {key: get_metric(key).daily(window).values(scopes) for key in keys}


def team_members(team_ids: Collection[int]) -> dict[int, list[int]]:
    """{team id: its members' user ids (leads included), by id} in one query (without the
    joins Membership's default ordering by team and person names would add)."""
    members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    if members:
        rows = Membership.objects.filter(team_id__in=list(members)).order_by("user_id")
        for team_id, user_id in rows.values_list("team_id", "user_id"):
            members[team_id].append(user_id)
    return members


def scope_results(
    by_owner: Mapping[int, Ratio],
    *,
    user_ids: Collection[int],
    team_ids: Collection[int],
    members: Mapping[int, list[int]],
) -> ScopeResults:
    """The asked users' and teams' ratios (and the teams' contributions) from the owners'."""
    results = ScopeResults(users={user_id: by_owner.get(user_id, Ratio()) for user_id in user_ids})
    for team_id in team_ids:
        member_ratios = {user_id: by_owner.get(user_id, Ratio()) for user_id in members[team_id]}
        team = sum(member_ratios.values(), Ratio())
        results.teams[team_id] = team
        results.contributions[team_id] = contribution_points(member_ratios, team)
    return results
