"""Where a goal is likely to land: a random walk from its daily values, calibrated on the org's
own past periods.

Why a random walk: period-to-date revenue metrics move by steps (an account expands, contracts or
churns) and yesterday's value is today's until the next event, so the value wanders and its
uncertainty grows with the days left (like the square root of the horizon), instead of
scattering around a line. The model reads the goal's daily series as changes between consecutive
points:

- the central path is the latest value, plus the average daily change times the days left for a
  series that drifts (for a level metric the calibration decides whether a drift helps, see
  `calibrate`);
- an accumulating metric (QBR completion) fills up through the period, not necessarily evenly:
  with a calibration its central path is the latest value divided by the share of its period-end
  value the same metric had reached at the same elapsed point of the org's earlier periods (its
  *fill curve*: if past quarters were 80% done by day 45, 60 on day 45 is on course for 75), so
  the forecast neither stops at today's value nor runs on past the point where the org's QBRs
  are usually done; without one it carries its own pace so far (a drift);
- the spread is the standard deviation of the daily changes times the square root of the days
  left (with drift, widened by the uncertainty of the drift itself: h x (1 + h / days observed)).

Calibration (conformal): the org's earlier periods give, per metric, scope (team or individual)
and tenth of the period elapsed, the distribution of the errors the same model made, measured in
its own spreads ((end value - central path) / spread). The 80% band runs from its 10th to its
90th percentile, the central value is its median, and the chance of reaching a mark is the share
of those past errors that would have reached it; so of goals given "70%", about 70% reach it, and
the band holds about 80% of outcomes (`python -m bench.bench_forecast`). Without calibration (a
new org, manual goals) the errors are taken as normal.

Range and shape: value, band and probability respect the metric's range (a completion rate never
lands above 100%; a mark beyond the range has probability 0). A series with fewer than three
points or that never moved has no forecast: "too little movement to forecast".

A forecast needs only a few numbers per series (`SeriesStats`), so a recalculation reads them
from the database, one row per goal, and adds the day it computes itself with `plus`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import numpy as np
from scipy import stats

from .progress import DECREASE

MIN_POINTS = 3
BAND_LEVEL = 0.80
# Quantile levels kept of the calibrated errors: probabilities resolve to one percent.
LEVELS = np.round(np.linspace(0.01, 0.99, 99), 2)
BAND_LOW, MEDIAN, BAND_HIGH = (int(np.searchsorted(LEVELS, level)) for level in (0.1, 0.5, 0.9))
ELAPSED_BUCKETS = 10
# Fewer past errors than this for a (metric, scope, elapsed) cell: pool the scopes, then none.
MIN_CALIBRATION_SAMPLES = 200
TEAM, INDIVIDUAL = "team", "individual"
# Squared changes summed from floats: below this share of the squared values it is no movement.
NO_MOVEMENT = 1e-12
# Below this share of its period-end value reached, a fill curve says too little (day 2 of a
# quarter): the series carries its own pace instead.
MIN_FILL = 0.05


class Forecast(NamedTuple):
    value: Decimal
    low: Decimal
    high: Decimal
    target_probability: Decimal | None
    stretch_probability: Decimal | None
    points: int


class SeriesStats(NamedTuple):
    """What the random walk reads of a daily series (days counted from the period start): the
    number of points, the first and the latest point, and the sum over consecutive points of
    (change^2 / days between them)."""

    count: int = 0
    first_day: float = 0.0
    first_value: float = 0.0
    last_day: float = 0.0
    last_value: float = 0.0
    squared_rate: float = 0.0

    @classmethod
    def of(cls, days: Sequence[float], values: Sequence[float]) -> SeriesStats:
        """The stats of the points (days[i], values[i]), in any order (one per day)."""
        if not len(days):
            return cls()
        order = np.argsort(np.asarray(days, dtype=float))
        x = np.asarray(days, dtype=float)[order]
        y = np.asarray(values, dtype=float)[order]
        rate = float(np.sum(np.diff(y) ** 2 / np.diff(x))) if len(x) > 1 else 0.0
        return cls(len(x), float(x[0]), float(y[0]), float(x[-1]), float(y[-1]), rate)

    def plus(self, day: float, value: float) -> SeriesStats:
        """The stats with one more point after the latest one."""
        if not self.count:
            return SeriesStats(1, day, value, day, value, 0.0)
        change = value - self.last_value
        rate = self.squared_rate + change * change / (day - self.last_day)
        return SeriesStats(self.count + 1, self.first_day, self.first_value, day, value, rate)


class Trend(NamedTuple):
    """One goal's series (as stats), the day of its period end on the same scale (day 0 is the
    period start), what the forecast is measured against, and what the metric is like."""

    stats: SeriesStats
    end_day: float
    target: Decimal | None
    stretch_target: Decimal | None = None
    direction: str = "increase"
    metric_key: str = ""
    scope: str = INDIVIDUAL
    value_range: tuple[Decimal | None, Decimal | None] = (None, None)
    accumulating: bool = False


@dataclass
class Calibration:
    """The org's past errors, per metric: whether its series drift, per (scope, elapsed bucket)
    the LEVELS-quantiles of (end value - central path) / spread, and for an accumulating metric
    its fill curve (per elapsed bucket, the share of the period-end value reached; NaN where
    unknown)."""

    drift: dict[str, bool] = field(default_factory=dict)
    errors: dict[tuple[str, str, int], np.ndarray] = field(default_factory=dict)
    fill: dict[str, np.ndarray] = field(default_factory=dict)

    def quantiles(self, metric_key: str, scope: str, bucket: int) -> np.ndarray | None:
        return self.errors.get((metric_key, scope, bucket))

    def filled(self, metric_key: str, last_day: np.ndarray, end_day: np.ndarray) -> np.ndarray:
        """The share of the period-end value the metric's fill curve expects on `last_day`
        (NaN without a curve)."""
        curve = self.fill.get(metric_key)
        if curve is None:
            return np.full(np.shape(last_day), np.nan)
        return fill_share(curve, last_day, end_day)


def elapsed_share(last_day: np.ndarray | float, end_day: np.ndarray | float) -> np.ndarray:
    """The share (0..1] of the period that the latest point closes (day 0 of 92: 1/92)."""
    return np.minimum(
        (np.asarray(last_day, dtype=float) + 1) / (np.asarray(end_day, dtype=float) + 1), 1.0
    )


def fill_share(
    curve: np.ndarray, last_day: np.ndarray | float, end_day: np.ndarray | float
) -> np.ndarray:
    """The fill curve read at the elapsed share of `last_day`: linear between the buckets'
    middles, from 0 at the period start to 1 at its end."""
    known = ~np.isnan(curve)
    middles = (np.arange(ELAPSED_BUCKETS) + 0.5) / ELAPSED_BUCKETS
    x = np.concatenate([[0.0], middles[known], [1.0]])
    y = np.concatenate([[0.0], curve[known], [1.0]])
    return np.interp(elapsed_share(last_day, end_day), x, y)


def elapsed_bucket(last_day: np.ndarray | float, end_day: np.ndarray | float) -> np.ndarray:
    """The tenth of the period (0-9) that the latest point closes: day 0 of a 92-day quarter is
    in bucket 0, day 45 in bucket 4, the last day in bucket 9."""
    share = elapsed_share(last_day, end_day)
    return np.clip((share * ELAPSED_BUCKETS).astype(int), 0, ELAPSED_BUCKETS - 1)


def random_walk(
    count: np.ndarray,
    first_day: np.ndarray,
    first_value: np.ndarray,
    last_day: np.ndarray,
    last_value: np.ndarray,
    squared_rate: np.ndarray,
    end_day: np.ndarray,
    drift: np.ndarray,
    filled: np.ndarray | float = np.nan,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The random walk's central path at the period end, its spread (standard deviation) there,
    and whether the series moved enough to say anything (at least MIN_POINTS points and a
    non-zero variance of the daily changes). All arguments are arrays of one element per series;
    `filled` is the share of its period-end value an accumulating series is expected to have
    reached (its fill curve; NaN where it has none): its central path is the latest value
    divided by it, and its spread the driftless one.
    """
    filling = np.asarray(filled, dtype=float) >= MIN_FILL
    drift = drift & ~filling
    observed = last_day - first_day
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(observed > 0, (last_value - first_value) / observed, 0.0)
        # The variance of the daily changes around their mean, per day (changes over a gap of g
        # days count as g days' worth).
        spread_sq = (squared_rate - slope * slope * observed) / (count - 2)
    scale = np.maximum(np.abs(last_value), np.abs(first_value)) ** 2 + 1.0
    moved = (count >= MIN_POINTS) & (observed > 0) & (spread_sq > NO_MOVEMENT * scale)
    spread_sq = np.where(moved, spread_sq, 0.0)
    ahead = np.maximum(end_day - last_day, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        widen = np.where(drift & moved, 1 + ahead / np.where(observed > 0, observed, 1.0), 1.0)
    central = last_value + np.where(drift, slope * ahead, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        central = np.where(filling, last_value / np.where(filling, filled, 1.0), central)
    return central, np.sqrt(spread_sq * ahead * widen), moved


def _reach_chance(
    marks: Sequence[Decimal | None],
    central: np.ndarray,
    spread: np.ndarray,
    errors: list[np.ndarray | None],
    decrease: np.ndarray,
    lowest: np.ndarray,
    highest: np.ndarray,
) -> list[Decimal | None]:
    """Per goal, the chance (percent) that the end value is at or beyond its mark in the goal's
    direction, from the calibrated errors (or normal ones); 0 or 100 for a mark outside the
    metric's range or when nothing is left to happen; None where there is no mark."""
    mark = np.array([np.nan if m is None else float(m) for m in marks])
    exact = spread == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        standard = (mark - central) / np.where(exact, 1.0, spread)
    below = stats.norm.cdf(standard)  # P(end < mark)
    calibrated = [index for index, quantiles in enumerate(errors) if quantiles is not None]
    if calibrated:
        past = np.array([errors[index] for index in calibrated])
        mark_at = standard[calibrated][:, None]
        # The share of past errors below the mark (at or below it for a decrease goal), half a
        # level's step away from 0 and 1.
        under = np.where(decrease[calibrated][:, None], past <= mark_at, past < mark_at)
        share = (under.sum(axis=1) + 0.5) / (past.shape[1] + 1)
        below[calibrated] = np.where(np.isnan(mark_at[:, 0]), below[calibrated], share)
    reached = np.where(decrease, central <= mark, central >= mark)
    chance = np.where(exact, np.where(reached, 1.0, 0.0), np.where(decrease, below, 1 - below))
    # Outside the metric's range the end value cannot get there, or cannot miss.
    chance = np.where(decrease & (mark < lowest), 0.0, chance)
    chance = np.where(decrease & (mark >= highest), 1.0, chance)
    chance = np.where(~decrease & (mark > highest), 0.0, chance)
    chance = np.where(~decrease & (mark <= lowest), 1.0, chance)
    return [None if m is None else c for m, c in zip(marks, _rounded(chance * 100), strict=True)]


def _rounded(numbers: np.ndarray) -> list[Decimal]:
    """The numbers as Decimals at the stored precision (4 places, see progress.quantize)."""
    return [Decimal(f"{number:.4f}") for number in numbers.tolist()]


def _bound(value: Decimal | None, default: float) -> float:
    return default if value is None else float(value)


def forecast_trends(
    trends: Sequence[Trend], calibration: Calibration | None = None
) -> list[Forecast | None]:
    """All goals' forecasts computed together as numpy arrays (one goal per element), which is
    what keeps a recalculation of hundreds of goals cheap. Returns one Forecast per trend, in
    order, or None where the series has too little movement to forecast."""
    results: list[Forecast | None] = [None] * len(trends)
    if not trends:
        return results
    calibration = calibration or Calibration()
    table = np.array([item.stats for item in trends], dtype=float)
    end_day = np.array([item.end_day for item in trends], dtype=float)
    drift = np.array(
        [calibration.drift.get(item.metric_key, item.accumulating) for item in trends], dtype=bool
    )
    filled = np.full(len(trends), np.nan)
    for metric_key in calibration.fill:
        mine = np.array([item.accumulating and item.metric_key == metric_key for item in trends])
        if mine.any():
            filled[mine] = calibration.filled(metric_key, table[mine, 3], end_day[mine])
    central, spread, moved = random_walk(*table.T, end_day, drift, filled)
    rows = np.flatnonzero(moved)
    if not len(rows):
        return results
    picked = [trends[index] for index in rows]
    central, spread = central[rows], spread[rows]
    buckets = elapsed_bucket(table[rows, 3], end_day[rows])
    errors = [
        calibration.quantiles(item.metric_key, item.scope, int(bucket))
        for item, bucket in zip(picked, buckets, strict=True)
    ]
    normal = stats.norm.ppf([1 - (1 + BAND_LEVEL) / 2, 0.5, (1 + BAND_LEVEL) / 2])
    offsets = np.array(
        [normal if q is None else q[[BAND_LOW, MEDIAN, BAND_HIGH]] for q in errors], dtype=float
    )
    low, value, high = (central + spread * offsets[:, column] for column in range(3))
    lowest = np.array([_bound(item.value_range[0], -np.inf) for item in picked])
    highest = np.array([_bound(item.value_range[1], np.inf) for item in picked])
    low, value, high = (np.clip(column, lowest, highest) for column in (low, value, high))
    decrease = np.array([item.direction == DECREASE for item in picked])
    chances = (central, spread, errors, decrease, lowest, highest)
    targets = _reach_chance([item.target for item in picked], *chances)
    stretches = _reach_chance([item.stretch_target for item in picked], *chances)
    columns = zip(
        _rounded(value),
        _rounded(low),
        _rounded(high),
        targets,
        stretches,
        [item.stats.count for item in picked],
        strict=True,
    )
    for index, values in zip(rows, columns, strict=True):
        results[index] = Forecast(*values)
    return results


# ---------------------------------------------------------------------------------------------
# Calibration from past periods


@dataclass(frozen=True)
class PastPeriod:
    """One past period of one metric: the daily values of each scope (rows: scopes, columns:
    the period's days; NaN where the metric had no value) and which rows are teams."""

    values: np.ndarray
    teams: np.ndarray  # bool per row


class PrefixStats(NamedTuple):
    """SeriesStats of every prefix of every row of a matrix of daily values: element [i, d] is
    the stats of row i's points on days 0..d."""

    count: np.ndarray
    first_day: np.ndarray
    first_value: np.ndarray
    last_day: np.ndarray
    last_value: np.ndarray
    squared_rate: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> PrefixStats:
        known = ~np.isnan(values)
        days = np.broadcast_to(np.arange(values.shape[1], dtype=float), values.shape)
        count = np.cumsum(known, axis=1)
        # The latest known day at or before each day (-1 before the first one).
        latest = np.maximum.accumulate(np.where(known, days, -1.0), axis=1).astype(int)
        first = np.argmax(known, axis=1)[:, None]
        rows = np.arange(values.shape[0])[:, None]
        last_value = values[rows, np.maximum(latest, 0)]
        previous = np.concatenate([np.full((values.shape[0], 1), -1), latest[:, :-1]], axis=1)
        has_previous = known & (previous >= 0)
        with np.errstate(invalid="ignore"):
            step = values - values[rows, np.maximum(previous, 0)]
            gap = np.where(has_previous, days - previous, 1.0)
        squared_rate = np.cumsum(np.where(has_previous, step * step / gap, 0.0), axis=1)
        first_day = np.broadcast_to(first.astype(float), values.shape)
        first_value = np.broadcast_to(values[rows, first], values.shape)
        return cls(
            count,
            first_day,
            first_value,
            latest.astype(float),
            last_value,
            squared_rate,
        )

    def at(self, day: int) -> list[SeriesStats]:
        """Each row's SeriesStats of the points up to `day`."""
        return [
            SeriesStats(int(count), *rest)
            for count, *rest in zip(*(column[:, day].tolist() for column in self), strict=True)
        ]


def _past_errors(
    period: PastPeriod, drift: bool, fill: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The model's standardized errors at every day of a past period for every scope whose
    series moved and whose end value is known: (errors, buckets, is_team, spread); with a
    fill curve, the errors of the fill model (see random_walk)."""
    values = period.values
    end_day = values.shape[1] - 1
    prefix = PrefixStats.of(values[:, :end_day])  # the last day is what is forecast
    end_value = np.broadcast_to(values[:, [end_day]], prefix.count.shape)
    filled = np.nan if fill is None else fill_share(fill, prefix.last_day, end_day)
    central, spread, moved = random_walk(*prefix, np.float64(end_day), np.bool_(drift), filled)
    usable = moved & ~np.isnan(end_value) & (spread > 0)
    errors = (end_value - central)[usable] / spread[usable]
    buckets = elapsed_bucket(prefix.last_day[usable], end_day)
    teams = np.broadcast_to(period.teams[:, None], usable.shape)[usable]
    return errors, buckets, teams, spread[usable]


def _quantile_table(
    metric_key: str, errors: np.ndarray, buckets: np.ndarray, teams: np.ndarray
) -> dict[tuple[str, str, int], np.ndarray]:
    table = {}
    for bucket in range(ELAPSED_BUCKETS):
        in_bucket = buckets == bucket
        pooled = errors[in_bucket]
        for scope, is_team in ((TEAM, True), (INDIVIDUAL, False)):
            own = errors[in_bucket & (teams == is_team)]
            chosen = own if len(own) >= MIN_CALIBRATION_SAMPLES else pooled
            if len(chosen) >= MIN_CALIBRATION_SAMPLES:
                table[(metric_key, scope, bucket)] = np.quantile(chosen, LEVELS)
    return table


def _interval_score(errors: np.ndarray, spread: np.ndarray, quantiles: np.ndarray) -> float:
    """The 80% band's interval score on the standardized errors, in the data's own units: its
    width plus 10x the distance by which an outcome falls outside (lower is better)."""
    low, high = quantiles[BAND_LOW], quantiles[BAND_HIGH]
    miss = np.maximum(low - errors, 0) + np.maximum(errors - high, 0)
    alpha = 1 - BAND_LEVEL
    return float(np.mean(spread * ((high - low) + 2 / alpha * miss)))


def fill_curve(periods: Iterable[PastPeriod]) -> np.ndarray | None:
    """An accumulating metric's fill curve from its past periods: per tenth of the period
    elapsed, the sum of the scopes' values over the sum of their period-end values (scopes that
    ended above 0; NaN for a tenth without any). None when no scope ended above 0."""
    reached = np.zeros(ELAPSED_BUCKETS)
    ended = np.zeros(ELAPSED_BUCKETS)
    for period in periods:
        values = period.values
        end_day = values.shape[1] - 1
        end_value = values[:, end_day]
        rows = ~np.isnan(end_value) & (end_value > 0)
        if not rows.any():
            continue
        buckets = elapsed_bucket(np.arange(end_day + 1), end_day)
        known = ~np.isnan(values[rows])
        reached += np.bincount(
            buckets, np.where(known, values[rows], 0.0).sum(axis=0), ELAPSED_BUCKETS
        )
        ended += np.bincount(buckets, (known * end_value[rows, None]).sum(axis=0), ELAPSED_BUCKETS)
    if not ended.any():
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ended > 0, reached / ended, np.nan)


def calibrate(
    periods: Mapping[str, Iterable[PastPeriod]], accumulating: Mapping[str, bool]
) -> Calibration:
    """The calibration of each metric from its past periods: for a drifting and a driftless walk
    the errors it made at every day of every period, and of the two the one whose 80% bands
    were narrower for the outcomes they held (interval score); an accumulating metric drifts
    when there are too few errors to decide. An accumulating metric with a fill curve (see
    fill_curve) is measured with it instead: the walk alone either stops at today's value or
    runs on at today's pace past the point where the period's work is usually done."""
    calibration = Calibration()
    for metric_key, past in periods.items():
        past = list(past)
        fill = fill_curve(past) if accumulating.get(metric_key) else None
        best: tuple[float, bool, dict] | None = None
        for drift in (True, False) if fill is None else (False,):
            parts = [_past_errors(period, drift, fill) for period in past]
            if not parts:
                continue
            errors, buckets, teams, spread = (
                np.concatenate(column) for column in zip(*parts, strict=True)
            )
            table = _quantile_table(metric_key, errors, buckets, teams)
            if not table:
                continue
            score = sum(
                _interval_score(
                    errors[(buckets == bucket) & (teams == (scope == TEAM))],
                    spread[(buckets == bucket) & (teams == (scope == TEAM))],
                    quantiles,
                )
                for (_, scope, bucket), quantiles in table.items()
                if ((buckets == bucket) & (teams == (scope == TEAM))).any()
            )
            if best is None or score < best[0]:
                best = (score, drift, table)
        if best is None:
            continue
        calibration.drift[metric_key] = best[1]
        calibration.errors.update(best[2])
        if fill is not None:
            calibration.fill[metric_key] = fill
    for metric_key, drifts in accumulating.items():
        calibration.drift.setdefault(metric_key, drifts)
    return calibration
