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

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Ratio:
    numerator: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)

    @property
    def value(self) -> Decimal | None:
        """The metric's value in percent (or NPS points); None when the denominator is empty."""
        if not self.denominator:
            return None
        return self.numerator / self.denominator * HUNDRED

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator)


# calculate(user_ids, start, end) -> {user_id: Ratio}: one set-based pass for every owner.
Calculator = Callable[[Collection[int], date, date], dict[int, Ratio]]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    direction_hint: str  # "increase" or "decrease": which way is better
    calculate: Calculator
    description: str = ""


@dataclass
class ScopeResults:
    users: dict[int, Ratio] = field(default_factory=dict)
    teams: dict[int, Ratio] = field(default_factory=dict)
    contributions: dict[int, dict[int, Decimal | None]] = field(default_factory=dict)
