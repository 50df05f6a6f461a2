"""The forecast of one series, from its daily points: what the tests compare the engine with.

The recalculation forecasts goals from their stored series' statistics (goals.forecast.
forecast_trends over SeriesStats, built in SQL); this builds the same Trend from plain points,
so a test states a series as days and values and checks the engine against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from goals.forecast import INDIVIDUAL, Calibration, Forecast, SeriesStats, Trend, forecast_trends


@dataclass(frozen=True)
class Series:
    """One goal's daily values and what its forecast is measured against (see Trend)."""

    points: Sequence[tuple[date, Decimal | float | None]]
    period_end: date
    target: Decimal | None
    stretch_target: Decimal | None = None
    direction: str = "increase"
    period_start: date | None = None  # default: the first point's day
    metric_key: str = ""
    scope: str = INDIVIDUAL
    value_range: tuple[Decimal | None, Decimal | None] = (None, None)
    accumulating: bool = False


def forecast_many(
    series: Sequence[Series], calibration: Calibration | None = None
) -> list[Forecast | None]:
    """Forecast many goals from their daily points at once (see forecast_trends)."""
    trends = []
    for item in series:
        points = {day: float(v) for day, v in item.points if v is not None}
        start = item.period_start or min(points, default=item.period_end)
        days = [(day - start).days for day in points]
        trends.append(
            Trend(
                stats=SeriesStats.of(days, list(points.values())),
                end_day=(item.period_end - start).days,
                target=item.target,
                stretch_target=item.stretch_target,
                direction=item.direction,
                metric_key=item.metric_key,
                scope=item.scope,
                value_range=item.value_range,
                accumulating=item.accumulating,
            )
        )
    return forecast_trends(trends, calibration)


def forecast_series(
    points: Sequence[tuple[date, Decimal | float | None]],
    *,
    period_end: date,
    target: Decimal | None,
    stretch_target: Decimal | None = None,
    direction: str = "increase",
    calibration: Calibration | None = None,
    **metric,
) -> Forecast | None:
    """Project the daily series `points` (one per day, any order) to `period_end`; `metric`
    takes the other Series fields (period_start, metric_key, scope, value_range, accumulating).

    Returns None with fewer than three points or a series that never moved.
    """
    item = Series(points, period_end, target, stretch_target, direction, **metric)
    return forecast_many([item], calibration)[0]
