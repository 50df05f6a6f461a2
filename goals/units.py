"""The range a goal's values can take: its metric's (GRR 0..100, NPS -100..100, NRR 0 and up),
or for a goal measured by hand the range of the unit it states (a count or a number of days is
0 or more, a percentage 0..100...). The services refuse baselines, targets and manual entries
outside it, so a page, the API, the admin and the check-in form refuse the same input."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from metrics.registry import get_metric

from .models import Goal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ValueRange:
    low: Decimal | None
    high: Decimal | None
    words: str  # what the values are, for messages: "A percentage", "Gross revenue retention"
    whole: bool = False  # only whole numbers (a count)

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.words} is between {_plain(self.low)} and {_plain(self.high)}"
        if self.low is not None:
            return f"{self.words} is {_plain(self.low)} or more"
        if self.high is not None:
            return f"{self.words} is {_plain(self.high)} or less"
        return f"{self.words} can be any number"

    def refusal(self, value: Decimal) -> str | None:
        """Why `value` cannot be a value of this range, or None when it can."""
        outside = (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        )
        if outside:
            return f"{self.describe()} (got {_plain(value)})."
        if self.whole and value != value.to_integral_value():
            return f"{self.words} is a whole number (got {_plain(value)})."
        return None


UNIT_RANGES: dict[str, ValueRange] = {
    Goal.Unit.COUNT: ValueRange(Decimal(0), None, "A count", whole=True),
    Goal.Unit.DAYS: ValueRange(Decimal(0), None, "A number of days"),
    Goal.Unit.PERCENT: ValueRange(Decimal(0), HUNDRED, "A percentage"),
    Goal.Unit.CURRENCY: ValueRange(Decimal(0), None, "An amount of money"),
    Goal.Unit.SCORE: ValueRange(Decimal(-100), HUNDRED, "A score"),
}
UNBOUNDED = ValueRange(None, None, "A value")


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def goal_value_range(goal: Goal) -> ValueRange:
    """The range of the goal's values: its metric's, its unit's, or unbounded."""
    if goal.metric_key:
        try:
            metric = get_metric(goal.metric_key)
        except KeyError:
            return UNBOUNDED
        low, high = metric.value_range
        return ValueRange(low, high, metric.label)
    return UNIT_RANGES.get(goal.unit, UNBOUNDED)
