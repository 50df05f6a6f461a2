"""Backtest of the goal forecast on the bench org's two years of history.

For every full calendar quarter of the org's history (seven, from the first quarter after its
history starts to the last one closed), every metric, every CSM and every team, the daily
period-to-date series is replayed through the metric engine (metrics/series.py: one read of each
quarter's data for all scopes and days), and a forecast is made at days 15, 30, 45, 60 and 75
from the points up to that day and compared with the value on the quarter's last day. Forecasts
side by side:

- calibrated random walk (goals/forecast.py, the code the recalculation runs): calibrated on the
  quarters before the one forecast (at most GOAL_FORECAST_CALIBRATION_QUARTERS, as in production;
  the first quarter has none, like a new org, and uses normal errors);
- the same random walk without calibration (normal errors, drift by the metric's shape);
- least squares: the forecast before it, a line through the points with a Student-t prediction
  band.

The target of each scope is its own value over the previous quarter (the default baseline: "at
least as well as last quarter"), so the chances spread over 0..100 %. Printed: the 80 % band's
coverage per elapsed point (goal 75-85 %) and per metric, the share of series with a forecast
(the rest: "too little movement"), the Brier score of the target chances, and their reliability
in ten bins. With BENCH_FORECAST_LLT=1, statsmodels' local linear trend model (fitted by maximum
likelihood per series, far too slow for a recalculation) is scored too, on every tenth scope.

Run with `python -m bench.bench_forecast` (DATABASE_URL: the bench database; ~3-5 minutes).
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from scipy import stats

from bench.orgdata import HISTORY_DAYS, build_org, setup_django

ELAPSED = (15, 30, 45, 60, 75)
BINS = 10
WITH_LLT = os.environ.get("BENCH_FORECAST_LLT") == "1"
LLT_EVERY = 10


def full_quarters(first_day: date, today: date) -> list[tuple[date, date]]:
    """The calendar quarters that lie wholly in [first_day, today), oldest first."""
    quarters = []
    start = date(first_day.year, (first_day.month - 1) // 3 * 3 + 1, 1)
    while True:
        month = start.month + 3
        next_start = date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
        end = next_start - timedelta(days=1)
        if end >= today:
            return quarters
        if start >= first_day:
            quarters.append((start, end))
        start = next_start


@dataclass
class Scores:
    """Per forecast: elapsed day, metric, is a team, inside the band, chance, reached."""

    rows: list[tuple] = field(default_factory=list)
    made: dict[int, int] = field(default_factory=dict)  # elapsed day -> forecasts made
    asked: dict[int, int] = field(default_factory=dict)  # elapsed day -> series with an end

    def add(self, day, metric, team, inside, chance, reached) -> None:
        self.rows.append((day, metric, team, inside, chance, reached))

    def table(self) -> np.ndarray:
        """The rows as floats (the metric column dropped): day, team, inside, chance, reached."""
        return np.array(
            [
                (d, t, i, np.nan if c is None else c, np.nan if r is None else r)
                for d, _, t, i, c, r in self.rows
            ],
            dtype=float,
        )


def replayed_periods(metric_key, quarters, user_ids, team_ids, past_periods) -> list:
    """The metric's daily series of every quarter (the engine replay). With BENCH_FORECAST_CACHE
    set to a directory, kept there between runs of the same org (for working on the scoring)."""
    from goals.forecast import PastPeriod

    cache = os.environ.get("BENCH_FORECAST_CACHE")
    path = cache and os.path.join(cache, f"{metric_key}-{quarters[0][0]}-{quarters[-1][1]}.npz")
    if path and os.path.exists(path):
        saved = np.load(path)
        return [
            PastPeriod(values=saved[f"values{i}"], teams=saved[f"teams{i}"])
            for i in range(len(quarters))
        ]
    periods = [
        past_periods([metric_key], start, end, user_ids=user_ids, team_ids=team_ids)[metric_key]
        for start, end in quarters
    ]
    if path:
        arrays = {f"values{i}": p.values for i, p in enumerate(periods)}
        arrays |= {f"teams{i}": p.teams for i, p in enumerate(periods)}
        np.savez(path, **arrays)
    return periods


def least_squares(values: np.ndarray, day: int, end_day: int):
    """The earlier forecast: OLS line through the known points up to `day`, the 80 % prediction
    band of a new observation at the end day (Student's t, n - 2 degrees of freedom)."""
    x = np.flatnonzero(~np.isnan(values[:day])).astype(float)
    if len(x) < 3:
        return None
    y = values[x.astype(int)]
    mean_x = x.mean()
    sxx = float(((x - mean_x) ** 2).sum())
    slope = float(((x - mean_x) * (y - y.mean())).sum()) / sxx
    predicted = y.mean() + slope * (end_day - mean_x)
    residual = float(((y - y.mean() - slope * (x - mean_x)) ** 2).sum())
    dof = len(x) - 2
    if residual <= 1e-12 * float(((y - y.mean()) ** 2).sum()):
        return predicted, 0.0, dof
    spread = np.sqrt(residual / dof) * np.sqrt(1 + 1 / len(x) + (end_day - mean_x) ** 2 / sxx)
    return predicted, spread, dof


def local_linear_trend(values: np.ndarray, day: int, end_day: int):
    """statsmodels' local linear trend (unobserved components), fitted to the points up to
    `day`: its forecast's mean and standard error at the end day."""
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    known = values[:day]
    if np.count_nonzero(~np.isnan(known)) < 3 or np.nanstd(known) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = UnobservedComponents(known, level="local linear trend").fit(disp=False)
        forecast = fitted.get_forecast(end_day - day + 1)
    return float(forecast.predicted_mean[-1]), float(np.sqrt(forecast.var_pred_mean[-1]))


def main() -> None:
    setup_django()
    from django.conf import settings

    from goals.calibration import past_periods
    from goals.forecast import INDIVIDUAL, TEAM, PrefixStats, Trend, calibrate, forecast_trends
    from metrics.registry import ACCUMULATING, METRICS, evaluate

    started = time.perf_counter()
    org = build_org()
    user_ids = [user.pk for user in org.users]
    team_ids = [team.pk for team in org.teams]
    quarters = full_quarters(org.today - timedelta(days=HISTORY_DAYS), org.today)
    print(
        f"org: {org.counts['customers']:,} customers, {len(user_ids)} CSMs, {len(team_ids)} "
        f"teams; quarters {quarters[0][0]} .. {quarters[-1][1]} ({len(quarters)}), built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    history = settings.GOAL_FORECAST_CALIBRATION_QUARTERS
    new, raw, old, llt = Scores(), Scores(), Scores(), Scores()
    z_band = stats.norm.ppf(0.9)
    for metric_key, metric in METRICS.items():
        replay = time.perf_counter()
        periods = replayed_periods(metric_key, quarters, user_ids, team_ids, past_periods)
        before = quarters[0][0] - timedelta(days=1)
        first = evaluate(
            metric_key,
            start=date(before.year, (before.month - 1) // 3 * 3 + 1, 1),
            end=before,
            user_ids=user_ids,
            team_ids=team_ids,
        )
        first_targets = np.array(
            [first.users[pk].value for pk in user_ids] + [first.teams[pk].value for pk in team_ids],
            dtype=object,
        )
        replayed = time.perf_counter() - replay
        accumulating = {metric_key: metric.shape == ACCUMULATING}
        low, high = (
            -np.inf if metric.value_range[0] is None else float(metric.value_range[0]),
            np.inf if metric.value_range[1] is None else float(metric.value_range[1]),
        )
        for index, period in enumerate(periods):
            earlier = periods[max(0, index - history) : index]
            calibration = calibrate({metric_key: earlier}, accumulating) if earlier else None
            values = period.values
            end_day = values.shape[1] - 1
            end = values[:, end_day]
            if index == 0:
                targets = [None if v is None else float(v) for v in first_targets]
            else:
                targets = [
                    None if np.isnan(v) else float(v) for v in periods[index - 1].values[:, -1]
                ]
            prefix = PrefixStats.of(values)
            for day in ELAPSED:
                stats_at = prefix.at(day - 1)
                trends = [
                    Trend(
                        stats=series,
                        end_day=end_day,
                        target=None if targets[row] is None else Decimal(f"{targets[row]:.4f}"),
                        metric_key=metric_key,
                        scope=TEAM if period.teams[row] else INDIVIDUAL,
                        value_range=metric.value_range,
                        accumulating=accumulating[metric_key],
                    )
                    for row, series in enumerate(stats_at)
                ]
                calibrated = forecast_trends(trends, calibration)
                uncalibrated = forecast_trends(trends)
                for scores in (new, raw, old):
                    scores.asked[day] = scores.asked.get(day, 0) + int(np.sum(~np.isnan(end)))
                for row in range(len(trends)):
                    if np.isnan(end[row]):
                        continue
                    target = targets[row]
                    reached = None if target is None else end[row] >= target
                    for scores, forecast in ((new, calibrated[row]), (raw, uncalibrated[row])):
                        if forecast is None:
                            continue
                        scores.made[day] = scores.made.get(day, 0) + 1
                        chance = forecast.target_probability
                        scores.add(
                            day,
                            metric_key,
                            period.teams[row],
                            float(forecast.low) - 1e-9 <= end[row] <= float(forecast.high) + 1e-9,
                            None if chance is None else float(chance) / 100,
                            reached,
                        )
                    line = least_squares(values[row], day, end_day)
                    if line is not None:
                        old.made[day] = old.made.get(day, 0) + 1
                        predicted, spread, dof = line
                        half = stats.t.ppf(0.9, dof) * spread
                        if target is None:
                            chance = None
                        elif spread == 0:
                            chance = float(predicted >= target)
                        else:
                            chance = float(stats.t.sf((target - predicted) / spread, dof))
                        old.add(
                            day,
                            metric_key,
                            period.teams[row],
                            predicted - half - 1e-9 <= end[row] <= predicted + half + 1e-9,
                            chance,
                            reached,
                        )
                    if WITH_LLT and row % LLT_EVERY == 0:
                        fitted = local_linear_trend(values[row], day, end_day)
                        if fitted is not None:
                            llt.made[day] = llt.made.get(day, 0) + 1
                            mean, spread = fitted
                            band = (
                                max(low, mean - z_band * spread),
                                min(high, mean + z_band * spread),
                            )
                            chance = (
                                None
                                if target is None
                                else float(stats.norm.sf((target - mean) / max(spread, 1e-12)))
                            )
                            llt.add(
                                day,
                                metric_key,
                                period.teams[row],
                                band[0] - 1e-9 <= end[row] <= band[1] + 1e-9,
                                chance,
                                reached,
                            )
                    if WITH_LLT and row % LLT_EVERY == 0:
                        llt.asked[day] = llt.asked.get(day, 0) + 1
        print(
            f"  {metric_key}: {len(periods)} quarters replayed in {replayed:.1f} s "
            f"({sum(len(p.values[0]) for p in periods) + 1} engine calls)"
        )
    report(new, raw, old, llt if WITH_LLT else None)


def _scored(table: np.ndarray) -> np.ndarray:
    """The forecasts that had a target: columns 3 (stated chance) and 4 (reached)."""
    return table[~np.isnan(table[:, 3]) & ~np.isnan(table[:, 4])]


def _brier(table: np.ndarray) -> tuple[float, int]:
    scored = _scored(table)
    return float(np.mean((scored[:, 3] - scored[:, 4]) ** 2)), len(scored)


def report(new: Scores, raw: Scores, old: Scores, llt: Scores | None) -> None:
    methods = [
        ("calibrated random walk", new),
        ("random walk, normal errors", raw),
        ("least squares (before)", old),
    ]
    if llt is not None:
        methods.append((f"local linear trend (1 scope in {LLT_EVERY})", llt))
    tables = {name: scores.table() for name, scores in methods}
    print("\n80 % band coverage (share of end values inside the band; goal 75-85 %)\n")
    header = "| elapsed day | " + " | ".join(
        f"{name}: coverage | forecasts made" for name, _ in methods
    )
    print(header + " |")
    print("|---" * (1 + 2 * len(methods)) + "|")
    for day in (*ELAPSED, None):
        cells = []
        for name, scores in methods:
            table = tables[name]
            chosen = table if day is None else table[table[:, 0] == day]
            asked = sum(scores.asked.values()) if day is None else scores.asked.get(day, 0)
            made = len(chosen)
            cells.append(f"{np.mean(chosen[:, 2]):.1%} | {made / max(asked, 1):.0%}")
        label = "all" if day is None else str(day)
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\nCoverage by metric and scope, all elapsed points\n")
    keys = sorted({row[1] for row in new.rows})
    print("| | " + " | ".join(keys) + " | teams | CSMs |")
    print("|---" * (3 + len(keys)) + "|")
    for name, scores in methods:
        rows = scores.rows
        by_metric = [np.mean([r[3] for r in rows if r[1] == key]) for key in keys]
        teams = np.mean([r[3] for r in rows if r[2]])
        csms = np.mean([r[3] for r in rows if not r[2]])
        cells = " | ".join(f"{value:.1%}" for value in [*by_metric, teams, csms])
        print(f"| {name} | {cells} |")
    print(
        "\nChance of reaching the target (own value last quarter): Brier score (lower is better)\n"
    )
    print("| elapsed day | " + " | ".join(name for name, _ in methods) + " |")
    print("|---" * (1 + len(methods)) + "|")
    for day in (*ELAPSED, None):
        cells = []
        for name, _ in methods:
            table = tables[name]
            chosen = table if day is None else table[table[:, 0] == day]
            score, count = _brier(chosen)
            cells.append(f"{score:.3f} ({count:,})")
        print(f"| {'all' if day is None else day} | " + " | ".join(cells) + " |")
    print("\nReliability of the target chances (all elapsed points): forecasts in each bin of the")
    print("stated chance, their mean stated chance, and the share that reached the target\n")
    print("| stated chance | " + " | ".join(f"{name}: n, stated, reached" for name, _ in methods))
    print("|---" * (1 + len(methods)) + "|")
    for tenth in range(BINS):
        cells = []
        for name, _ in methods:
            table = tables[name]
            scored = _scored(table)
            bins = np.minimum((scored[:, 3] * BINS).astype(int), BINS - 1)
            chosen = scored[bins == tenth]
            if len(chosen):
                cells.append(
                    f"{len(chosen):,}, {np.mean(chosen[:, 3]):.0%}, {np.mean(chosen[:, 4]):.0%}"
                )
            else:
                cells.append("0, –, –")
        print(f"| {tenth * 10}-{tenth * 10 + 10} % | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
