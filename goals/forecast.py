"""Where a goal is likely to land: a least-squares trend over its daily values this period.

The trend is an ordinary least-squares line through (day, value) points, projected to the period
end. The band is the 80% prediction interval of a new observation at that day (Student's t with
n - 2 degrees of freedom), and the probabilities are the chance, under the same t distribution,
that the value at the period end reaches the target or the stretch target in the goal's
direction. Probabilities are percentages (0-100). With fewer than three points there is no
forecast: two points always fit a line exactly and say nothing about the spread.
"""

from __future__ import annotations

import math
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


def _probability(
    *, mark: Decimal | None, predicted: float, spread: float, dof: int, direction: str
) -> Decimal | None:
    """Chance (percent) that the value at the period end is at or beyond `mark`."""
    if mark is None:
        return None
    if spread == 0:
        reached = predicted <= float(mark) if direction == DECREASE else predicted >= float(mark)
        return quantize(HUNDRED if reached else Decimal(0))
    score = (float(mark) - predicted) / spread
    # scipy.special.stdtr is Student's t CDF (the ufunc behind scipy.stats.t, without its
    # per-call overhead, which dominates a recalculation of hundreds of goals).
    below = float(special.stdtr(dof, score))
    chance = below if direction == DECREASE else 1 - below
    return quantize(Decimal(str(float(chance) * 100)))


def forecast_series(
    points: Sequence[tuple[date, Decimal]],
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
    known = sorted((day, value) for day, value in points if value is not None)
    if len(known) < MIN_POINTS:
        return None
    origin = known[0][0]
    days = np.array([(day - origin).days for day, _ in known], dtype=float)
    values = np.array([float(value) for _, value in known], dtype=float)
    if np.ptp(days) == 0:
        return None
    slope, intercept = np.polynomial.polynomial.polyfit(days, values, 1)[::-1]
    horizon = float((period_end - origin).days)
    predicted = float(intercept + slope * horizon)
    dof = len(known) - 2
    residuals = values - (intercept + slope * days)
    residual_sd = math.sqrt(float(np.sum(residuals**2)) / dof)
    spread_of_days = float(np.sum((days - days.mean()) ** 2))
    # Standard error of a new observation at the horizon (prediction, not confidence, interval).
    spread = residual_sd * math.sqrt(
        1 + 1 / len(known) + (horizon - days.mean()) ** 2 / spread_of_days
    )
    # Floating-point residue of an exact line is not spread.
    if spread < 1e-9 * max(1.0, abs(predicted)):
        spread = 0.0
    half_band = float(special.stdtrit(dof, 0.5 + BAND_LEVEL / 2)) * spread
    return Forecast(
        value=quantize(Decimal(str(predicted))),
        low=quantize(Decimal(str(predicted - half_band))),
        high=quantize(Decimal(str(predicted + half_band))),
        target_probability=_probability(
            mark=target, predicted=predicted, spread=spread, dof=dof, direction=direction
        ),
        stretch_probability=_probability(
            mark=stretch_target, predicted=predicted, spread=spread, dof=dof, direction=direction
        ),
        points=len(known),
    )
