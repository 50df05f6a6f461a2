"""The forecast's calibration from the org's own closed quarters (goals/calibration.py)."""

from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from goals import forecast, recalc
from goals.calibration import calibration_refresh, closed_quarters, load_calibration
from goals.forecast import INDIVIDUAL, TEAM
from goals.models import ForecastCalibration, ProgressHistory
from tests.builders import D, MembershipFactory, customer, new_quarter, nrr_goal

from .forecast_oracle import forecast_series

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]
Q4 = (date(2025, 10, 1), date(2025, 12, 31))


@pytest.fixture
def one_quarter_of_books(settings, monkeypatch, lead, member, teammate, team):
    """Last quarter (Q4 2025) of four CSMs' books, each account changing ARR on its own day,
    one closed quarter measured, and cells kept from 10 errors (a test-sized org)."""
    settings.GOAL_FORECAST_CALIBRATION_QUARTERS = 1
    monkeypatch.setattr(forecast, "MIN_CALIBRATION_SAMPLES", 10)
    csms = [lead, member, teammate, MembershipFactory(team=team).user]
    for number, csm in enumerate(csms):
        for account in range(4):
            changes = {Q4[0]: 1000}
            for step in range(3):
                day = Q4[0] + timedelta(days=7 + 23 * step + 5 * account + number)
                changes[day] = 1000 + 60 * ((account + step + number) % 4 - 1)
            customer(csm, changes)
    return csms


def test_closed_quarters_are_the_last_ones_before_today_oldest_first():
    assert closed_quarters(date(2026, 2, 14), 2) == [
        (date(2025, 7, 1), date(2025, 9, 30)),
        Q4,
    ]
    assert closed_quarters(date(2026, 4, 1), 1) == [(date(2026, 1, 1), date(2026, 3, 31))]


@pytest.mark.usefixtures("one_quarter_of_books")
def test_calibration_is_measured_once_per_closed_quarter():
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        output = StringIO()
        call_command("calibrate_forecasts", stdout=output)
        cells = set(ForecastCalibration.objects.values_list("metric_key", "scope", "through"))
        assert {("nrr", INDIVIDUAL, Q4[1]), ("nrr", TEAM, Q4[1])} <= cells
        assert output.getvalue().startswith("Rebuilt: ")
        assert calibration_refresh() is False  # the same closed quarter: nothing to do
        output = StringIO()
        call_command("calibrate_forecasts", stdout=output)
        assert output.getvalue().startswith("Up to date: ")
    # A quarter later, Q1 2026 has closed: measured again through its end.
    assert calibration_refresh(today=date(2026, 4, 2)) is True
    assert set(ForecastCalibration.objects.values_list("through", flat=True)) <= {date(2026, 3, 31)}
    calibration = load_calibration()
    errors = calibration.quantiles("nrr", INDIVIDUAL, 5)
    assert errors is None or len(errors) == len(forecast.LEVELS)


@pytest.mark.usefixtures("one_quarter_of_books")
def test_recalculation_forecasts_with_the_stored_calibration(lead, member):
    calibration_refresh(today=date(2026, 2, 14))
    calibration = load_calibration()
    assert calibration.quantiles("nrr", INDIVIDUAL, 4) is not None
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        period = new_quarter()
        customer(member, {date(2026, 1, 1): 1000, date(2026, 1, 20): 1080, date(2026, 2, 3): 1040})
        goal = nrr_goal(period, by=lead, owner=member, baseline="100", target="105")
        recalc.backfill_history([goal.pk])
    goal.refresh_from_db()
    points = list(ProgressHistory.objects.filter(goal=goal).values_list("as_of", "value"))
    expected = forecast_series(
        points,
        period_start=period.start,
        period_end=period.end,
        target=D(105),
        metric_key="nrr",
        value_range=(D(0), None),
        calibration=calibration,
    )
    uncalibrated = forecast_series(
        points,
        period_start=period.start,
        period_end=period.end,
        target=D(105),
        value_range=(D(0), None),
    )
    got = (goal.forecast_value, goal.forecast_low, goal.forecast_high)
    want = (expected.value, expected.low, expected.high)
    assert all(abs(a - b) <= D("0.0001") for a, b in zip(got, want, strict=True)), (got, want)
    assert want != (uncalibrated.value, uncalibrated.low, uncalibrated.high)
    assert goal.forecast_target_probability == expected.target_probability


def test_without_customer_data_there_is_no_calibration_and_forecasts_use_normal_errors():
    assert calibration_refresh(today=date(2026, 2, 14)) is True
    assert not ForecastCalibration.objects.exists()
    output = StringIO()
    call_command("calibrate_forecasts", stdout=output)
    assert "No calibration" in output.getvalue()


def test_the_beat_schedule_rebuilds_the_calibration_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["goals-calibrate-forecasts"]
    assert entry["task"] == "goals.tasks.calibrate_forecasts"
