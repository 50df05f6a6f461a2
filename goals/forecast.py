"""Where a goal is likely to land: a least-squares trend over its daily values this period.

The trend is an ordinary least-squares line through (day, value) points, projected to the period
end. The band is the 80% prediction interval of a new observation at that day (Student's t with
n - 2 degrees of freedom), and the probabilities are the chance, under the same t distribution,
that the value at the period end reaches the target or the stretch target in the goal's
direction. Probabilities are percentages (0-100). With fewer than three points there is no
forecast: two points always fit a line exactly and say nothing about the spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from scipy import special

from .progress import DECREASE, HUNDRED, quantize

MIN_POINTS = 3
BAND_LEVEL = 0.80


@dataclass(frozen=True)
class Forecast:
    value: Decimal
    low: Decimal
    high: Decimal
    target_probability: Decimal | None
    stretch_probability: Decimal | None
    points: int


@dataclass(frozen=True)
class Series:
    """One goal's daily values and what its forecast is measured against."""

    points: Sequence[tuple[date, Decimal | float | None]]
    period_end: date
    target: Decimal | None
    stretch_target: Decimal | None = None
    direction: str = "increase"


def _chance(
    mark: Decimal | None, predicted: float, spread: float, dof: int, direction: str
) -> Decimal | None:
    """Chance (percent) that the value at the period end is at or beyond `mark`."""
    if mark is None:
        return None
    if spread == 0:
        reached = predicted <= float(mark) if direction == DECREASE else predicted >= float(mark)
        return quantize(HUNDRED if reached else Decimal(0))
    # scipy.special.stdtr is Student's t CDF (the ufunc behind scipy.stats.t).
    below = float(special.stdtr(dof, (float(mark) - predicted) / spread))
    chance = below if direction == DECREASE else 1 - below
    return quantize(Decimal(repr(chance * 100)))


@dataclass(frozen=True)
class DailySeries:
    """One goal's daily values as arrays, what the vectorised fit reads: `days` are date
    ordinals (date.toordinal()) in ascending order, one per day, and `values` has no NaN."""

    days: np.ndarray
    values: np.ndarray
    period_end: date
    target: Decimal | None
    stretch_target: Decimal | None = None
    direction: str = "increase"


def forecast_many(series: Sequence[Series]) -> list[Forecast | None]:
    """Forecast many goals at once (see forecast_daily). Returns one Forecast (or None, under
    three points) per series, in order."""
    daily = []
    for item in series:
        points = sorted((day.toordinal(), float(v)) for day, v in item.points if v is not None)
        daily.append(
            DailySeries(
                days=np.array([day for day, _ in points], dtype=float),
                values=np.array([value for _, value in points], dtype=float),
                period_end=item.period_end,
                target=item.target,
                stretch_target=item.stretch_target,
                direction=item.direction,
            )
        )
    return forecast_daily(daily)


def forecast_daily(series: Sequence[DailySeries]) -> list[Forecast | None]:
    """The least-squares fits of all series computed together as masked numpy arrays (one goal
    per row), which is what keeps a recalculation of hundreds of goals cheap. Returns one
    Forecast (or None, under three points) per series, in order."""
    results: list[Forecast | None] = [None] * len(series)
    rows = [index for index, item in enumerate(series) if len(item.days) >= MIN_POINTS]
    if not rows:
        return results
    width = max(len(series[index].days) for index in rows)
    days = np.zeros((len(rows), width))
    values = np.zeros((len(rows), width))
    mask = np.zeros((len(rows), width))
    horizon = np.zeros(len(rows))
    for row, index in enumerate(rows):
        item = series[index]
        size = len(item.days)
        origin = item.days[0]
        # Whole days, exact in floats: the same numbers as date differences.
        days[row, :size] = item.days - origin
        values[row, :size] = item.values
        mask[row, :size] = 1
        horizon[row] = item.period_end.toordinal() - origin
    count = mask.sum(axis=1)
    mean_day = (days * mask).sum(axis=1) / count
    mean_value = (values * mask).sum(axis=1) / count
    day_offsets = (days - mean_day[:, None]) * mask
    spread_of_days = (day_offsets**2).sum(axis=1)
    usable = spread_of_days > 0
    safe_spread = np.where(usable, spread_of_days, 1)
    slope = (day_offsets * (values - mean_value[:, None])).sum(axis=1) / safe_spread
    intercept = mean_value - slope * mean_day
    residuals = (values - (intercept[:, None] + slope[:, None] * days)) * mask
    dof = count - 2
    residual_sd = np.sqrt((residuals**2).sum(axis=1) / dof)
    predicted = intercept + slope * horizon
    # Standard error of a new observation at the horizon (prediction, not confidence, interval).
    spread = residual_sd * np.sqrt(1 + 1 / count + (horizon - mean_day) ** 2 / safe_spread)
    # Floating-point residue of an exact line is not spread.
    spread = np.where(spread < 1e-9 * np.maximum(1.0, np.abs(predicted)), 0.0, spread)
    half_band = special.stdtrit(dof, 0.5 + BAND_LEVEL / 2) * spread
    for row, index in enumerate(rows):
        if not usable[row]:
            continue
        item = series[index]
        guess, width_half = float(predicted[row]), float(half_band[row])
        arguments = (guess, float(spread[row]), int(dof[row]), item.direction)
        results[index] = Forecast(
            value=quantize(Decimal(repr(guess))),
            low=quantize(Decimal(repr(guess - width_half))),
            high=quantize(Decimal(repr(guess + width_half))),
            target_probability=_chance(item.target, *arguments),
            stretch_probability=_chance(item.stretch_target, *arguments),
            points=int(count[row]),
        )
    return results


def forecast_series(
    points: Sequence[tuple[date, Decimal | float | None]],
    *,
    period_end: date,
    target: Decimal | None,
    stretch_target: Decimal | None = None,
    direction: str = "increase",
) -> Forecast | None:
    """Project the daily series `points` (one per day, any order) to `period_end`.

    Returns None with fewer than three points. A straight line forecasts its own value at the
    period end with a zero-width band; noise around the line widens the band.
    """
    return forecast_many([Series(points, period_end, target, stretch_target, direction)])[0]
