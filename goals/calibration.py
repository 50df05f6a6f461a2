"""The forecast's calibration from the org's own history (goals/forecast.py, "Calibration").

The last closed calendar quarters of customer data (GOAL_FORECAST_CALIBRATION_QUARTERS,
default 4) are replayed day by day through the metric engine for every CSM in a team and every
team (one read of each quarter's customer data for every metric, scope and day: the engine's
period-to-date series, metrics/series.py), the forecast model is run at
every day of each of them, and the errors it made are kept as percentiles per metric, scope and
tenth of the period elapsed in `ForecastCalibration` (at most 5 metrics x 2 scopes x 10 rows).
Goals of any period type read the cell of their elapsed tenth.

It changes only when a quarter closes: the daily beat job (`calibrate_forecasts` by hand)
rebuilds it once the latest closed quarter is newer than the one it was measured through, and a
recalculation reads it in one small query.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from goals_project.people.models import Membership, Team
from metrics.registry import ACCUMULATING, METRICS, daily_values

from .forecast import ELAPSED_BUCKETS, LEVELS, Calibration, PastPeriod, calibrate
from .models import ForecastCalibration


def closed_quarters(today: date, count: int) -> list[tuple[date, date]]:
    """The last `count` calendar quarters that ended before `today`, oldest first."""
    quarters = []
    start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    for _ in range(count):
        end = start - timedelta(days=1)
        start = date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
        quarters.append((start, end))
    return quarters[::-1]


def past_periods(
    metric_keys: Collection[str],
    start: date,
    end: date,
    *,
    user_ids: list[int],
    team_ids: list[int],
) -> dict[str, PastPeriod]:
    """Each metric's period-to-date value of every user and team on every day of the window,
    as forecast.PastPeriod (rows: the users then the teams, in the given order), from one read
    of the window's customer data (metrics/series.py)."""
    values = daily_values(metric_keys, start=start, end=end, user_ids=user_ids, team_ids=team_ids)
    teams = np.arange(len(user_ids) + len(team_ids)) >= len(user_ids)
    return {key: PastPeriod(values=values[key], teams=teams) for key in metric_keys}


def measure_calibration(
    windows: Collection[tuple[date, date]],
    *,
    user_ids: list[int],
    team_ids: list[int],
    metric_keys: Collection[str] = tuple(METRICS),
) -> Calibration:
    """The calibration of the metrics over these past windows for these scopes."""
    periods: dict[str, list[PastPeriod]] = {key: [] for key in metric_keys}
    for start, end in windows:
        for key, period in past_periods(
            metric_keys, start, end, user_ids=user_ids, team_ids=team_ids
        ).items():
            periods[key].append(period)
    return calibrate(periods, {key: METRICS[key].shape == ACCUMULATING for key in metric_keys})


def calibration_refresh(*, today: date | None = None, force: bool = False) -> bool:
    """Rebuild the calibration from the last closed quarters, unless it already covers the
    latest one (or `force`). Returns whether it was rebuilt. The engine runs outside any
    transaction; the rows are replaced in one."""
    today = today or timezone.localdate()
    windows = closed_quarters(today, settings.GOAL_FORECAST_CALIBRATION_QUARTERS)
    through = windows[-1][1]
    if not force and ForecastCalibration.objects.filter(through=through).exists():
        return False
    user_ids = sorted(set(Membership.objects.values_list("user_id", flat=True)))
    team_ids = sorted(Team.objects.values_list("pk", flat=True))
    calibration = measure_calibration(windows, user_ids=user_ids, team_ids=team_ids)
    now = timezone.now()
    rows = [
        ForecastCalibration(
            metric_key=metric_key,
            scope=scope,
            bucket=bucket,
            drift=calibration.drift[metric_key],
            quantiles=[round(float(q), 6) for q in quantiles],
            fill=_fill_at(calibration, metric_key, bucket),
            through=through,
            computed_at=now,
        )
        for (metric_key, scope, bucket), quantiles in sorted(calibration.errors.items())
    ]
    with transaction.atomic():
        ForecastCalibration.objects.all().delete()
        ForecastCalibration.objects.bulk_create(rows)
    return True


def _fill_at(calibration: Calibration, metric_key: str, bucket: int) -> float | None:
    curve = calibration.fill.get(metric_key)
    if curve is None or np.isnan(curve[bucket]):
        return None
    return round(float(curve[bucket]), 6)


def load_calibration() -> Calibration:
    """The stored calibration (empty before the first one: forecasts then use normal errors)."""
    calibration = Calibration()
    rows = ForecastCalibration.objects.values_list(
        "metric_key", "scope", "bucket", "drift", "quantiles", "fill"
    )
    for metric_key, scope, bucket, drift, quantiles, fill in rows:
        if len(quantiles) == len(LEVELS):
            calibration.drift[metric_key] = drift
            calibration.errors[(metric_key, scope, bucket)] = np.array(quantiles, dtype=float)
        if fill is not None:
            curve = calibration.fill.setdefault(metric_key, np.full(ELAPSED_BUCKETS, np.nan))
            curve[bucket] = fill
    return calibration
