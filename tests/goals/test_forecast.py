"""The forecast model (goals/forecast.py): bands that hold, calibrated chances, range and shape.

The coverage tests simulate an org's history of a few hundred series of one kind (the three
kinds the least-squares band failed on: a line plus independent noise, a random walk with drift,
steps at random days), calibrate on one past period of them and forecast another, seeded.
"""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from goals.forecast import (
    INDIVIDUAL,
    LEVELS,
    PastPeriod,
    PrefixStats,
    SeriesStats,
    Trend,
    calibrate,
    forecast_trends,
)

from .forecast_oracle import forecast_series

START, END = date(2026, 1, 1), date(2026, 4, 1)  # 91 days
QUARTER = 92
SERIES = 300
ELAPSED = (15, 30, 45, 60, 75)
D = Decimal


def _days(values):
    return [(START + timedelta(days=index), value) for index, value in enumerate(values)]


def line_plus_noise(rng: np.random.Generator, count: int) -> np.ndarray:
    days = np.arange(QUARTER)
    level = rng.uniform(90, 110, (count, 1))
    slope = rng.normal(0.05, 0.05, (count, 1))
    noise = rng.uniform(0.5, 2, (count, 1)) * rng.standard_normal((count, QUARTER))
    return level + slope * days + noise


def random_walk_with_drift(rng: np.random.Generator, count: int) -> np.ndarray:
    drift = rng.normal(0.05, 0.05, (count, 1))
    scale = rng.uniform(0.2, 1, (count, 1))
    return 100 + np.cumsum(drift + scale * rng.standard_normal((count, QUARTER)), axis=1)


def steps_at_random_days(rng: np.random.Generator, count: int) -> np.ndarray:
    """ARR-like: about one event in ten days, each a jump of a few points either way."""
    events = rng.random((count, QUARTER)) < 0.1
    jumps = np.where(events, rng.normal(0.3, 2, (count, QUARTER)), 0.0)
    jumps[:, 0] = 0
    return 100 + np.cumsum(jumps, axis=1)


KINDS = [line_plus_noise, random_walk_with_drift, steps_at_random_days]


def _forecasts_at(values: np.ndarray, day: int, calibration, targets=None):
    """Forecast every row from its first `day` days, as the recalculation would."""
    prefix = PrefixStats.of(values)
    trends = [
        Trend(
            stats=stats,
            end_day=QUARTER - 1,
            target=None if targets is None else D(f"{targets[row]:.4f}"),
            metric_key="simulated",
        )
        for row, stats in enumerate(prefix.at(day - 1))
    ]
    return forecast_trends(trends, calibration)


def _calibrated(kind, rng):
    past = PastPeriod(values=kind(rng, SERIES), teams=np.zeros(SERIES, dtype=bool))
    return calibrate({"simulated": [past]}, {"simulated": False})


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_the_80_percent_band_holds_about_80_percent_of_outcomes(kind):
    rng = np.random.default_rng(21)
    calibration = _calibrated(kind, rng)
    values = kind(rng, SERIES)
    end = values[:, -1]
    for day in ELAPSED:
        forecasts = _forecasts_at(values, day, calibration)
        held = [
            float(f.low) <= end[row] <= float(f.high)
            for row, f in enumerate(forecasts)
            if f is not None
        ]
        assert len(held) >= 0.75 * SERIES, (day, len(held))  # few series never moved
        assert 0.72 <= np.mean(held) <= 0.88, (kind.__name__, day, np.mean(held))


def test_chances_are_calibrated_of_goals_given_70_percent_about_70_percent_get_there():
    rng = np.random.default_rng(5)
    calibration = _calibrated(random_walk_with_drift, rng)
    chances, reached = [], []
    for _ in range(3):
        values = random_walk_with_drift(rng, SERIES)
        for day in ELAPSED:
            # Targets a little above today's value, so the chances spread over 0..100.
            targets = values[:, day - 1] + rng.uniform(-4, 8, SERIES)
            for row, forecast in enumerate(_forecasts_at(values, day, calibration, targets)):
                chances.append(float(forecast.target_probability) / 100)
                reached.append(values[row, -1] >= targets[row])
    chances, reached = np.array(chances), np.array(reached)
    bins = np.minimum((chances * 10).astype(int), 9)
    for tenth in range(10):
        chosen = bins == tenth
        if chosen.sum() >= 100:
            assert abs(reached[chosen].mean() - chances[chosen].mean()) < 0.1, tenth
    brier = np.mean((chances - reached) ** 2)
    assert brier < 0.2


def test_the_band_widens_like_the_square_root_of_the_days_left():
    rng = np.random.default_rng(3)
    walk = 100 + np.cumsum(rng.standard_normal(20))
    near = forecast_series(_days(walk), period_end=START + timedelta(days=19 + 9), target=None)
    far = forecast_series(_days(walk), period_end=START + timedelta(days=19 + 36), target=None)
    assert near.low < near.value < near.high
    ratio = (far.high - far.low) / (near.high - near.low)
    assert abs(ratio - 2) < D("0.01")  # four times the days left, twice the width


@pytest.mark.parametrize(
    "values",
    [[100] * 30, [100, 100], [], [100 + i / 2 for i in range(30)]],
    ids=["flat", "two points", "empty", "the same step every day"],
)
def test_short_or_flat_series_have_too_little_movement_to_forecast(values):
    assert forecast_series(_days(values), period_end=END, target=D(110)) is None


def test_one_step_is_movement_and_gets_a_band_around_the_new_level():
    forecast = forecast_series(_days([100] * 20 + [104] * 10), period_end=END, target=D(110))
    assert forecast.value == D(104)  # a level metric stays where it is
    assert forecast.low < 104 < forecast.high
    assert 0 < forecast.target_probability < 50


def test_a_bounded_metric_never_lands_beyond_its_range():
    rng = np.random.default_rng(11)
    completion = np.minimum(97 + np.cumsum(rng.normal(0.1, 0.6, 40)), 100)
    forecast = forecast_series(
        _days(completion),
        period_end=END,
        target=D(100),
        stretch_target=D(101),
        value_range=(D(0), D(100)),
    )
    assert forecast.high <= 100 and forecast.value <= 100
    assert forecast.stretch_probability == 0  # beyond the range: cannot be reached
    assert 0 < forecast.target_probability < 100  # 100 itself can be, by the clipped mass


def test_a_target_below_a_floor_of_the_range_is_certain_and_a_decrease_mark_below_it_impossible():
    values = [10 + (i % 3) for i in range(30)]
    increase = forecast_series(_days(values), period_end=END, target=D(0), value_range=(D(0), None))
    decrease = forecast_series(
        _days(values),
        period_end=END,
        target=D(-1),
        direction="decrease",
        value_range=(D(0), None),
    )
    assert increase.target_probability == 100
    assert decrease.target_probability == 0
    assert increase.low >= 0


def test_an_accumulating_metric_carries_its_pace_to_the_period_end():
    """QBR completion fills up through the quarter: at day 30, 30% done is on course for ~90%."""
    rng = np.random.default_rng(8)
    completion = np.cumsum(rng.uniform(0.8, 1.2, 30))  # about one point a day
    level = forecast_series(
        _days(completion), period_end=END, target=D(80), value_range=(D(0), D(100))
    )
    filling = forecast_series(
        _days(completion),
        period_end=END,
        target=D(80),
        value_range=(D(0), D(100)),
        accumulating=True,
    )
    assert abs(level.value - D(completion[-1])) < D("0.0001")
    assert 80 < filling.value <= 100
    assert filling.target_probability > 50 > level.target_probability


def test_a_decrease_goal_counts_the_chance_of_ending_at_or_below_its_mark():
    values = [100 - i + (i % 2) for i in range(30)]
    forecast = forecast_series(
        _days(values), period_end=END, target=D(40), direction="decrease", accumulating=True
    )
    assert forecast.value < 50
    assert forecast.target_probability > 50


def test_calibration_picks_the_drift_where_the_trend_is_real_and_not_where_it_is_noise():
    rng = np.random.default_rng(2)
    trending = PastPeriod(
        values=np.cumsum(1 + 0.2 * rng.standard_normal((SERIES, QUARTER)), axis=1),
        teams=np.zeros(SERIES, dtype=bool),
    )
    wandering = PastPeriod(
        values=steps_at_random_days(rng, SERIES), teams=np.zeros(SERIES, dtype=bool)
    )
    calibration = calibrate({"up": [trending], "flat": [wandering]}, {"up": False, "flat": True})
    assert calibration.drift == {"up": True, "flat": False}
    quantiles = calibration.quantiles("flat", INDIVIDUAL, 4)
    assert len(quantiles) == len(LEVELS) and np.all(np.diff(quantiles) >= 0)


def test_prefix_stats_match_the_stats_of_each_prefix_with_gaps():
    values = np.array([[np.nan, 1.0, 3.0, np.nan, 2.0, 6.0], [5.0, np.nan, np.nan, 5.0, 7.0, 7.0]])
    prefix = PrefixStats.of(values)
    for row in range(2):
        for day in range(6):
            known = [(d, v) for d, v in enumerate(values[row, : day + 1]) if not np.isnan(v)]
            if known:
                expected = SeriesStats.of([d for d, _ in known], [v for _, v in known])
                assert list(prefix.at(day)[row]) == pytest.approx(list(expected)), (row, day)
            else:
                assert prefix.at(day)[row].count == 0


def test_stats_plus_one_point_equals_the_stats_of_all_points():
    days, values = [0, 1, 4, 5], [100.0, 101.5, 99.0, 103.0]
    built = SeriesStats.of(days[:3], values[:3]).plus(days[3], values[3])
    assert list(built) == pytest.approx(list(SeriesStats.of(days, values)))
    assert SeriesStats().plus(3, 7.0) == SeriesStats.of([3], [7.0])


def qbrs_done_by_day_62(rng: np.random.Generator, count: int) -> np.ndarray:
    """QBR completion of books of 10-30 accounts whose QBRs are held between day 3 and day 62 of
    the quarter, 60-95% of them: it fills up through two thirds of the quarter, then stays."""
    accounts = 30
    size = rng.integers(10, accounts + 1, (count, 1))
    held_on = rng.integers(3, 63, (count, accounts))
    held = (rng.random((count, accounts)) < rng.uniform(0.6, 0.95, (count, 1))) & (
        np.arange(accounts) < size
    )
    days = np.arange(QUARTER)
    done = ((held_on[:, :, None] <= days) & held[:, :, None]).sum(axis=1)
    return done / size * 100


def test_an_accumulating_metric_fills_up_like_its_earlier_periods():
    """Calibrated on past quarters, QBR completion is neither flat at today's value mid-way
    (the walk alone) nor carried on at today's pace after the QBRs are usually done (the drift):
    it lands where the quarter's shape says, and its band holds."""
    rng = np.random.default_rng(19)
    past = PastPeriod(values=qbrs_done_by_day_62(rng, SERIES), teams=np.zeros(SERIES, bool))
    calibration = calibrate({"simulated": [past]}, {"simulated": True})
    assert calibration.fill["simulated"][2] == pytest.approx(0.35, abs=0.1)
    assert calibration.fill["simulated"][9] == pytest.approx(1.0)
    now = qbrs_done_by_day_62(rng, SERIES)
    end = now[:, -1]
    for day in (30, 45, 75):
        trends = [
            Trend(
                stats=stats,
                end_day=QUARTER - 1,
                target=None,
                metric_key="simulated",
                value_range=(D(0), D(100)),
                accumulating=True,
            )
            for stats in PrefixStats.of(now).at(day - 1)
        ]
        forecasts = forecast_trends(trends, calibration)
        value = np.array([float(f.value) for f in forecasts])
        low = np.array([float(f.low) for f in forecasts])
        high = np.array([float(f.high) for f in forecasts])
        assert abs(np.mean(value - end)) < 5, day  # no lean either way
        inside = (low - 1e-3 <= end) & (end <= high + 1e-3)  # stored to 4 places
        assert 0.7 <= np.mean(inside) <= (0.92 if day < 60 else 1), day
        assert np.all(value <= 100)
        if day < 60:
            assert np.mean(value - now[:, day - 1]) > 15, day  # fills up, not flat
        else:
            assert np.mean(value - now[:, day - 1]) < 2, day  # the QBRs are done
