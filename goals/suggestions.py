"""Targets suggested from the owner's own history.

For a goal on a calculated metric, the owner's value (a person's book, or the team's) over each
of the last HISTORY_PERIODS periods of the same type before the goal's period (calendar
windows, as the metric's command line takes them), the change from one period to the next, and
three choices from the base (the goal's baseline, else the last period's value):

- hold: keep the base;
- typical: the base plus the median change;
- ambitious: the base plus the upper-quartile change (the lower quartile for a goal to
  decrease).

Each choice comes with the estimated probability of reaching it: the share of past changes at
least that good, smoothed by Laplace's rule of succession ((k + 1) / (n + 2) for k of n past
changes), so a handful of periods never claims certainty and a target beyond every past change
is never "impossible". It is said with its base: "from N past periods". With fewer than
MIN_PERIODS periods with data there is no suggestion, and the page says so.

Set-based: one metric-engine call per past window for every owner asked at once (the cascade
page asks for all the members together).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from metrics.registry import Metric, evaluate, get_metric

from .comparison import PERIOD_MONTHS, shift_months
from .models import Goal, GoalPeriod

HISTORY_PERIODS = 8
MIN_PERIODS = 4
TENTH = Decimal("0.1")

Window = tuple[date, date]


@dataclass(frozen=True)
class Choice:
    key: str  # hold, typical, ambitious
    label: str
    target: Decimal
    change: Decimal
    probability: Decimal  # 0..1
    reached: int  # past changes at least this good
    out_of: int

    @property
    def change_text(self) -> str:
        return signed(self.change)

    @property
    def percent(self) -> int:
        return int((self.probability * 100).to_integral_value(rounding=ROUND_HALF_UP))


def signed(change: Decimal) -> str:
    """A change as people write it: +2.0, −1.5, ±0.0."""
    if change > 0:
        return f"+{change:.1f}"
    if change < 0:
        return f"−{-change:.1f}"
    return f"±{change.copy_abs():.1f}"


@dataclass
class Suggestion:
    """The history of one owner on one metric, and the three choices (none without data)."""

    metric: Metric
    windows: list[Window]
    values: list[Decimal | None]  # oldest first, one per window
    base: Decimal | None = None
    changes: list[Decimal] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)

    @property
    def periods_with_data(self) -> int:
        return sum(value is not None for value in self.values)

    @property
    def typical_change(self) -> str:
        return next((c.change_text for c in self.choices if c.key == "typical"), "")

    @property
    def reason(self) -> str:
        """Why there is no suggestion (empty when there is one)."""
        if self.choices:
            return ""
        count = self.periods_with_data
        if not count:
            return (
                f"No suggestion: there is no {self.metric.label} data for this owner in the "
                f"last {len(self.windows)} periods."
            )
        return (
            f"No suggestion: {count} past period{'s' if count != 1 else ''} with "
            f"{self.metric.label} data; it takes {MIN_PERIODS} in a row to read a typical change."
        )

    def chart(self, *, target: Decimal | None = None) -> dict:
        """A small Plotly figure: the value per past period, and the choices for the next."""
        labels = [_label(start, end) for start, end in self.windows]
        traces: list[dict] = [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Past periods",
                "x": labels,
                "y": [None if v is None else float(v) for v in self.values],
                "line": {"color": "#2f5bd3"},
                "hovertemplate": "%{x}: %{y:.1f}<extra></extra>",
            }
        ]
        colours = {"hold": "#5b6475", "typical": "#1e7a46", "ambitious": "#d99a00"}
        for choice in self.choices:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{choice.label} {float(choice.target):.1f}",
                    "x": ["Next"],
                    "y": [float(choice.target)],
                    "marker": {"color": colours[choice.key], "size": 10},
                    "hovertemplate": f"{choice.label}: %{{y:.1f}}<extra></extra>",
                }
            )
        return {
            "data": traces,
            "layout": {
                "height": 200,
                "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
                "showlegend": False,
                "xaxis": {"type": "category", "tickfont": {"size": 10}},
                "yaxis": {"title": {"text": self.metric.unit}, "gridcolor": "#e9ecf2"},
                "paper_bgcolor": "rgba(0,0,0,0)",
                "plot_bgcolor": "rgba(0,0,0,0)",
            },
        }


def histories_chart(histories: dict[str, Suggestion]) -> dict | None:
    """One small figure with a line per owner (the cascade page's members)."""
    if not histories:
        return None
    first = next(iter(histories.values()))
    labels = [_label(start, end) for start, end in first.windows]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": labels,
                "y": [None if v is None else float(v) for v in suggestion.values],
                "hovertemplate": f"{name}, %{{x}}: %{{y:.1f}}<extra></extra>",
            }
            for name, suggestion in histories.items()
        ],
        "layout": {
            "height": 220,
            "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
            "legend": {"orientation": "h", "y": -0.3},
            "xaxis": {"type": "category", "tickfont": {"size": 10}},
            "yaxis": {"title": {"text": first.metric.unit}, "gridcolor": "#e9ecf2"},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }


def _label(start: date, end: date) -> str:
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 3:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if months == 12:
        return str(start.year)
    return start.strftime("%b %Y")


def past_windows(period: GoalPeriod, count: int = HISTORY_PERIODS) -> list[Window]:
    """The `count` calendar periods of the same type just before `period`, oldest first."""
    months = PERIOD_MONTHS[GoalPeriod.Type(period.period_type)]
    windows = []
    for back in range(count, 0, -1):
        start = shift_months(period.start, -back * months)
        end = shift_months(period.start, -(back - 1) * months) - timedelta(days=1)
        windows.append((start, end))
    return windows


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def choices_from_history(
    values: Sequence[Decimal | None],
    *,
    metric: Metric,
    direction: str = Goal.Direction.INCREASE,
    base: Decimal | None = None,
) -> tuple[Decimal | None, list[Decimal], list[Choice]]:
    """(base, changes, choices) from the values of consecutive periods, oldest first. Changes
    are taken between consecutive periods that both have a value; no choice without
    MIN_PERIODS periods with data."""
    changes = [
        later - earlier
        for earlier, later in zip(values, values[1:], strict=False)
        if earlier is not None and later is not None
    ]
    known = [value for value in values if value is not None]
    if base is None and known:
        base = values[-1] if values[-1] is not None else None
    if len(known) < MIN_PERIODS or len(changes) < MIN_PERIODS - 1 or base is None:
        return base, changes, []
    array = np.array([float(change) for change in changes])
    decrease = direction == Goal.Direction.DECREASE
    median = Decimal(str(np.percentile(array, 50)))
    bold = Decimal(str(np.percentile(array, 25 if decrease else 75)))
    low, high = metric.value_range
    choices = []
    for key, label, change in (
        ("hold", "Hold", Decimal(0)),
        ("typical", "Typical", median),
        ("ambitious", "Ambitious", bold),
    ):
        target = _rounded(base + change)
        if low is not None:
            target = max(target, low)
        if high is not None:
            target = min(target, high)
        needed = target - base
        # Ties count: a change equal to the one needed reaches the target.
        reached = sum(1 for c in changes if (c <= needed if decrease else c >= needed))
        probability = Decimal(reached + 1) / Decimal(len(changes) + 2)
        choices.append(
            Choice(
                key=key,
                label=label,
                target=target,
                change=_rounded(target - base),
                probability=probability.quantize(Decimal("0.01")),
                reached=reached,
                out_of=len(changes),
            )
        )
    return base, changes, choices


def suggestions_for(
    *,
    metric_key: str,
    period: GoalPeriod,
    owners: Sequence[tuple[int, int | None]],
    direction: str = Goal.Direction.INCREASE,
    bases: dict[tuple[int, int | None], Decimal | None] | None = None,
) -> dict[tuple[int, int | None], Suggestion]:
    """Suggestions for each (team id, owner id or None for the team) on one metric, from one
    engine call per past window for all of them."""
    metric = get_metric(metric_key)
    windows = past_windows(period)
    user_ids = {owner_id for _, owner_id in owners if owner_id is not None}
    team_ids = {team_id for team_id, owner_id in owners if owner_id is None}
    per_window = [
        evaluate(metric.key, start=start, end=end, user_ids=user_ids, team_ids=team_ids)
        for start, end in windows
    ]
    bases = bases or {}
    result = {}
    for team_id, owner_id in owners:
        values = []
        for results in per_window:
            ratio = results.teams[team_id] if owner_id is None else results.users[owner_id]
            values.append(None if ratio.value is None else _rounded(ratio.value))
        base, changes, choices = choices_from_history(
            values, metric=metric, direction=direction, base=bases.get((team_id, owner_id))
        )
        result[(team_id, owner_id)] = Suggestion(
            metric=metric,
            windows=windows,
            values=values,
            base=base,
            changes=changes,
            choices=choices,
        )
    return result


def suggestion_for(
    *,
    metric_key: str,
    period: GoalPeriod,
    team_id: int,
    owner_id: int | None,
    direction: str = Goal.Direction.INCREASE,
    base: Decimal | None = None,
) -> Suggestion:
    """The suggestion for one owner (see suggestions_for)."""
    key = (team_id, owner_id)
    return suggestions_for(
        metric_key=metric_key,
        period=period,
        owners=[key],
        direction=direction,
        bases={key: base},
    )[key]
