"""Every figure the dashboards build is a valid Plotly figure, and says what the leader reads."""

import datetime as dt
import re
from decimal import Decimal

import plotly.graph_objects as go
import pytest

from dashboards.charts import (
    ForecastBand,
    Marker,
    Point,
    contributions_figure,
    goal_progress_figure,
    health_trend_figure,
    progress_trend_figure,
    sparkline_svg,
)
from goals.display import clamped

START = dt.date(2026, 10, 1)
END = dt.date(2026, 12, 31)
DAYS = [START + dt.timedelta(days=n) for n in range(10)]


def valid(figure: dict) -> go.Figure:
    # Figure() validates every trace and layout property against Plotly's schema.
    return go.Figure(figure)


def test_goal_figure_is_valid_and_has_every_line():
    history = [Point(day, Decimal(100) + n) for n, day in enumerate(DAYS)]
    figure = goal_progress_figure(
        history=history,
        start=START,
        end=END,
        unit_title="NRR (%)",
        target=Decimal(105),
        stretch=Decimal(108),
        pace=[Point(START, Decimal(100)), Point(END, Decimal(105))],
        forecast=ForecastBand(history[-1], END, Decimal("112.5"), Decimal(110), Decimal(115), "9%"),
        previous=[Point(day, Decimal(99)) for day in DAYS],
        previous_name="Q3 2026 (same day)",
        markers=[
            Marker(DAYS[2], Decimal(102), "adjustment", "target: 104 → 105"),
            Marker(DAYS[5], Decimal(105), "check-in", "Mo, confidence 4/5"),
        ],
    )
    names = [trace.name for trace in valid(figure).data]
    assert names == [
        "Forecast 80% band",
        "Q3 2026 (same day)",
        "Expected pace",
        "Target",
        "Stretch",
        "Value",
        "Forecast",
        "Adjustments",
        "Check-ins",
    ]
    band = figure["data"][0]
    assert band["fill"] == "toself"
    # From the last point (109 on 10 October) to the 80% band at the period end (110-115),
    # widening like the square root of the days ahead: half of it a quarter of the way.
    steps = len(band["x"]) // 2
    upper, lower = band["y"][:steps], band["y"][steps:][::-1]
    assert band["x"][0] == DAYS[-1] and band["x"][steps - 1] == END
    assert upper[0] == lower[0] == 109.0 and (upper[-1], lower[-1]) == (115.0, 110.0)
    widths = [high - low for high, low in zip(upper, lower, strict=True)]
    assert widths == sorted(widths)
    quarter = band["x"].index(DAYS[-1] + (END - DAYS[-1]) / 4)
    assert widths[quarter] == pytest.approx(widths[-1] / 2, abs=0.05)  # day 20 of 81
    assert figure["layout"]["xaxis"]["range"] == [START, END + dt.timedelta(days=1)]


def test_goal_figure_without_forecast_or_stretch_leaves_them_out():
    figure = goal_progress_figure(
        history=[Point(START, Decimal(1))],
        start=START,
        end=END,
        unit_title="Progress %",
        target=Decimal(100),
        stretch=None,
        pace=[],
        forecast=None,
    )
    assert [trace.name for trace in valid(figure).data] == ["Target", "Value"]
    # A single point is drawn as a marker, or it would be invisible.
    assert figure["data"][1]["mode"] == "lines+markers"


def test_the_value_axis_spans_what_is_drawn_within_the_metric_range():
    figure = goal_progress_figure(
        history=[Point(day, Decimal(90) + n) for n, day in enumerate(DAYS)],
        start=START,
        end=END,
        unit_title="QBR completion (%)",
        target=Decimal(95),
        stretch=None,
        pace=[],
        forecast=ForecastBand(
            Point(DAYS[-1], Decimal(99)), END, Decimal(100), Decimal(97), Decimal(100), ""
        ),
        value_range=(Decimal(0), Decimal(100)),
    )
    low, high = figure["layout"]["yaxis"]["range"]
    assert 85 < low < 90 and 100 <= high < 101  # not 0..150 for a band brushing the cap


def test_the_progress_trend_axis_is_not_stretched_by_a_goal_far_below_its_baseline():
    series = [
        ("Fine", [Point(DAYS[0], Decimal(20)), Point(DAYS[1], Decimal(45))]),
        ("Far below", [Point(DAYS[0], clamped(Decimal(-350))), Point(DAYS[1], Decimal(0))]),
    ]
    figure = progress_trend_figure(series=series)
    assert figure["layout"]["yaxis"]["range"] == [0, pytest.approx(108)]
    assert [trace.y for trace in valid(figure).data] == [(20.0, 45.0), (0.0, 0.0)]


def test_contributions_waterfall_totals_the_team_value():
    figure = contributions_figure(
        members=[("Tia", Decimal("45.0")), ("Mo", Decimal("38.1")), ("Lena", Decimal("20.6"))],
        team_value=Decimal("103.7"),
        unit_title="Points",
    )
    waterfall = valid(figure).data[0]
    assert list(waterfall.x) == ["Tia", "Mo", "Lena", "Team"]
    assert list(waterfall.measure) == ["relative", "relative", "relative", "total"]
    assert waterfall.y[-1] == 103.7
    assert sum(waterfall.y[:-1]) == pytest.approx(103.7)


def test_trend_and_health_figures_are_valid():
    trend = progress_trend_figure(
        series=[("Mo NRR", [Point(d, Decimal(n)) for n, d in enumerate(DAYS)])]
    )
    assert valid(trend).data[0].name == "Mo NRR"
    health = health_trend_figure(
        weeks=DAYS[:3],
        percents=[("Check-in completion %", [Decimal(90), None, Decimal(95)])],
        counts=[("Dashboard views per member", [Decimal(3), Decimal(4), None])],
    )
    figure = valid(health)
    assert figure.data[1].yaxis == "y2"
    assert figure.data[0].y == (90.0, None, 95.0)


def test_sparkline_draws_at_most_forty_points_and_ends_on_the_last_value():
    svg = sparkline_svg([Decimal(n) for n in range(90)])
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    assert len(points) == 40
    assert points[0] == "2.0,22.0" and points[-1] == "94.0,2.0"
    assert 'aria-hidden="true"' in svg


def test_sparkline_needs_two_values():
    assert sparkline_svg([Decimal(1), None]) == ""
    flat = sparkline_svg([Decimal(5), Decimal(5)])
    assert 'points="2.0,22.0 94.0,22.0"' in flat
