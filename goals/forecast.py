"""Where a goal is likely to land: a least-squares trend over its daily values this period.

The trend is an ordinary least-squares line through (day, value) points, projected to the period
end. The band is the 80% prediction interval of a new observation at that day (Student's t with
n - 2 degrees of freedom), and the probabilities are the chance, under the same t distribution,
that the value at the period end reaches the target or the stretch target in the goal's
direction. Probabilities are percentages (0-100). With fewer than three points there is no
forecast: two points always fit a line exactly and say nothing about the spread.

A fit needs only the points' moments (count, means, centred sums of squares and products), so a
recalculation reads them from the database, one row per goal, instead of every daily value, and
adds the day it computes itself with `Moments.plus`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import numpy as np
from scipy import special

from .progress import DECREASE

MIN_POINTS = 3
BAND_LEVEL = 0.80
# The residual sum of squares comes from a difference of sums (Syy - Sxy^2 / Sxx): on an exact
# line it is rounding residue, a few 1e-16 of Syy. Residue under this share of Syy is no spread.
EXACT_FIT = 1e-12


class Forecast(NamedTuple):
    value: Decimal
    low: Decimal
    high: Decimal
    target_probability: Decimal | None
    stretch_probability: Decimal | None
    points: int


class Moments(NamedTuple):
    """What a least-squares line through (day, value) points depends on: the number of points,
    the mean day and value, and the centred sums Sxx, Syy and Sxy (PostgreSQL's regr_count,
    regr_avgx, regr_avgy, regr_sxx, regr_syy and regr_sxy)."""

    count: int = 0
    mean_day: float = 0.0
    mean_value: float = 0.0
    sxx: float = 0.0
    syy: float = 0.0
    sxy: float = 0.0

    @classmethod
    def of(cls, days: Sequence[float], values: Sequence[float]) -> Moments:
        """The moments of the points (days[i], values[i]), centred in two passes."""
        if not len(days):
            return cls()
        x, y = np.asarray(days, dtype=float), np.asarray(values, dtype=float)
        dx, dy = x - x.mean(), y - y.mean()
        return cls(
            len(x),
            float(x.mean()),
            float(y.mean()),
            float(dx @ dx),
            float(dy @ dy),
            float(dx @ dy),
        )

    def plus(self, day: float, value: float) -> Moments:
        """The moments with one more point (Welford's update: no sums of large squares)."""
        count = self.count + 1
        dx, dy = day - self.mean_day, value - self.mean_value
        kept = self.count / count
        return Moments(
            count,
            self.mean_day + dx / count,
            self.mean_value + dy / count,
            self.sxx + dx * dx * kept,
            self.syy + dy * dy * kept,
            self.sxy + dx * dy * kept,
        )


class Trend(NamedTuple):
    """One goal's points (as moments), the day of its period end on the same scale as the
    points' days, and what the forecast is measured against."""

    moments: Moments
    end_day: float
    target: Decimal | None
    stretch_target: Decimal | None = None
    direction: str = "increase"


@dataclass(frozen=True)
class Series:
    """One goal's daily values and what its forecast is measured against."""

    points: Sequence[tuple[date, Decimal | float | None]]
    period_end: date
    target: Decimal | None
    stretch_target: Decimal | None = None
    direction: str = "increase"


def _chances(
    marks: Sequence[Decimal | None],
    predicted: np.ndarray,
    spread: np.ndarray,
    dof: np.ndarray,
    decrease: np.ndarray,
) -> list[Decimal | None]:
    """Per goal, the chance (percent) that the value at the period end is at or beyond its mark
    in the goal's direction; None where there is no mark. A zero spread makes it 0 or 100."""
    mark = np.array([np.nan if m is None else float(m) for m in marks])
    exact = spread == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # scipy.special.stdtr is Student's t CDF (the ufunc behind scipy.stats.t).
        below = special.stdtr(dof, (mark - predicted) / np.where(exact, 1.0, spread))
    reached = np.where(decrease, predicted <= mark, predicted >= mark)
    chance = np.where(
        exact, np.where(reached, 100.0, 0.0), np.where(decrease, below, 1 - below) * 100
    )
    return [None if m is None else c for m, c in zip(marks, _rounded(chance), strict=True)]


def _rounded(numbers: np.ndarray) -> list[Decimal]:
    """The numbers as Decimals at the stored precision (4 places, see progress.quantize)."""
    return [Decimal(f"{number:.4f}") for number in numbers.tolist()]


def forecast_many(series: Sequence[Series]) -> list[Forecast | None]:
    """Forecast many goals at once (see forecast_trends). Returns one Forecast (or None, under
    three points) per series, in order."""
    trends = []
    for item in series:
        points = {day.toordinal(): float(v) for day, v in item.points if v is not None}
        trends.append(
            Trend(
                moments=Moments.of(list(points), list(points.values())),
                end_day=item.period_end.toordinal(),
                target=item.target,
                stretch_target=item.stretch_target,
                direction=item.direction,
            )
        )
    return forecast_trends(trends)


def forecast_trends(trends: Sequence[Trend]) -> list[Forecast | None]:
    """The least-squares fits of all goals computed together as numpy arrays (one goal per
    element), which is what keeps a recalculation of hundreds of goals cheap. Returns one
    Forecast (or None, under three points) per trend, in order."""
    results: list[Forecast | None] = [None] * len(trends)
    rows = [
        index
        for index, item in enumerate(trends)
        if item.moments.count >= MIN_POINTS and item.moments.sxx > 0
    ]
    if not rows:
        return results
    moments = np.array([trends[index].moments for index in rows], dtype=float)
    count, mean_day, mean_value, sxx, syy, sxy = moments.T
    end_day = np.array([trends[index].end_day for index in rows])
    slope = sxy / sxx
    ahead = end_day - mean_day
    predicted = mean_value + slope * ahead
    residual = syy - slope * sxy
    residual = np.where(residual <= EXACT_FIT * syy, 0.0, residual)
    dof = count - 2
    # Standard error of a new observation at the period end (prediction, not confidence, band).
    spread = np.sqrt(residual / dof) * np.sqrt(1 + 1 / count + ahead**2 / sxx)
    half_band = special.stdtrit(dof, 0.5 + BAND_LEVEL / 2) * spread
    picked = [trends[index] for index in rows]
    decrease = np.array([item.direction == DECREASE for item in picked])
    chances = (predicted, spread, dof, decrease)
    targets = _chances([item.target for item in picked], *chances)
    stretches = _chances([item.stretch_target for item in picked], *chances)
    columns = zip(
        _rounded(predicted),
        _rounded(predicted - half_band),
        _rounded(predicted + half_band),
        targets,
        stretches,
        count.astype(int).tolist(),
        strict=True,
    )
    for index, values in zip(rows, columns, strict=True):
        results[index] = Forecast(*values)
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
