"""The goals engine's daily beat jobs. They call the period lifecycle and the calibration, which
enqueue recalculations through goals.tasks, so they live here, above them (GoalsConfig.ready
registers them). They keep their `goals.tasks.*` names: the beat schedule (settings) and running
workers know them by these."""

from __future__ import annotations

from celery import shared_task

from goals_project.celery import RETRY_ON_DATABASE_ERROR

from .calibration import calibration_refresh
from .lifecycle import periods_roll_over


@shared_task(name="goals.tasks.roll_over_periods", **RETRY_ON_DATABASE_ERROR)
def roll_over_periods() -> dict[str, list[int]]:
    """Beat, daily: periods become active on their start and are closed after their end."""
    moved = periods_roll_over()
    return {status: [period.pk for period in periods] for status, periods in moved.items()}


@shared_task(name="goals.tasks.calibrate_forecasts", **RETRY_ON_DATABASE_ERROR)
def calibrate_forecasts() -> bool:
    """Beat, daily: rebuild the forecast calibration once a new quarter has closed."""
    return calibration_refresh()
