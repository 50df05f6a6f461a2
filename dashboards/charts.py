"""Charts built on the server: Plotly figures (drawn by plotly.js in the browser) and sparklines.

A figure is a Plotly figure spec (`{"data": [...traces], "layout": {...}}`) of JSON-ready values;
the page embeds it with `json_script` in a `<script type="application/json">` block and
`static/js/charts.js` draws it, so no inline script is needed under the Content Security
Policy. The specs are plain dicts because building `plotly.graph_objects` on every request costs
10-20 ms a figure in validation; the tests load every figure into `plotly.graph_objects.Figure`,
which validates it against Plotly's schema.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.safestring import SafeString

# The stylesheet's colours, so charts and chips agree.
INK = "#1d2433"
MUTED = "#5b6475"
BRAND = "#2f5bd3"
GREEN = "#1e7a46"
RED = "#b42318"
AMBER = "#d99a00"
GRID = "#e9ecf2"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


@dataclass(frozen=True)
class Point:
    day: date
    value: Decimal | None


@dataclass(frozen=True)
class Marker:
    day: date
    value: Decimal | None
    kind: str  # "adjustment" or "check-in"
    note: str


@dataclass(frozen=True)
class ForecastBand:
    start: Point  # the last measured point, where the forecast leaves the history
    end_day: date
    value: Decimal
    low: Decimal | None
    high: Decimal | None
    probability_text: str


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


BAND_STEPS = 12


def forecast_band_edges(forecast: ForecastBand) -> tuple[list[date], list, list]:
    """The band drawn from the last measured point to the period end: the central path moves
    in a straight line to the forecast value, and the band around it widens like the square
    root of the days ahead (as a random walk's spread does), to the stored 80% band at the end.
    Returns the days and the upper and lower edges (floats) at each."""
    start, end = forecast.start.day, forecast.end_day
    span = (end - start).days
    steps = sorted({round(span * step / BAND_STEPS) for step in range(BAND_STEPS + 1)})
    origin = float(forecast.start.value)
    value = float(forecast.value)
    above, below = float(forecast.high) - value, value - float(forecast.low)
    days, upper, lower = [], [], []
    for offset in steps:
        share = offset / span if span else 1.0
        centre = origin + (value - origin) * share
        days.append(start + timedelta(days=offset))
        upper.append(round(centre + above * share**0.5, 4))
        lower.append(round(centre - below * share**0.5, 4))
    return days, upper, lower


def _figure(traces: list[dict], *, y_title: str, height: int = 360, **layout) -> dict:
    return {
        "data": traces,
        "layout": {
            "height": height,
            "margin": {"l": 48, "r": 12, "t": 12, "b": 36},
            "font": {"family": FONT, "color": INK, "size": 12},
            "paper_bgcolor": "#fff",
            "plot_bgcolor": "#fff",
            "hovermode": "closest",
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
            "yaxis": {"title": {"text": y_title}, "gridcolor": GRID, "zeroline": False},
            "xaxis": {"gridcolor": GRID},
            **layout,
        },
    }


def _line(name: str, x: Sequence, y: Sequence, **style) -> dict:
    return {"type": "scatter", "mode": "lines", "name": name, "x": list(x), "y": list(y), **style}


def goal_progress_figure(
    *,
    history: Sequence[Point],
    start: date,
    end: date,
    unit_title: str,
    target: Decimal | None,
    stretch: Decimal | None,
    pace: Sequence[Point],
    forecast: ForecastBand | None,
    previous: Sequence[Point] = (),
    previous_name: str = "",
    markers: Sequence[Marker] = (),
    value_range: tuple[Decimal | None, Decimal | None] = (None, None),
) -> dict:
    """The goal chart: measured value, target and stretch lines, the expected pace, the forecast
    with its 80% band to the period end, last period's line at the same elapsed day (faint), and
    markers for adjustments and check-ins whose hover shows the note. The y-axis spans what is
    drawn, within `value_range` (the metric's: a completion rate never runs past 100 %)."""
    traces = []
    period_x = [start, end]
    if forecast is not None and forecast.low is not None and forecast.high is not None:
        days, upper, lower = forecast_band_edges(forecast)
        traces.append(
            _line(
                "Forecast 80% band",
                days + days[::-1],
                upper + lower[::-1],
                fill="toself",
                fillcolor="rgba(47, 91, 211, 0.12)",
                line={"width": 0},
                hoverinfo="skip",
            )
        )
    if previous:
        traces.append(
            _line(
                previous_name or "Previous period",
                [point.day for point in previous],
                [_float(point.value) for point in previous],
                line={"color": MUTED, "width": 1.5},
                opacity=0.35,
            )
        )
    if pace:
        traces.append(
            _line(
                "Expected pace",
                [point.day for point in pace],
                [_float(point.value) for point in pace],
                line={"color": MUTED, "dash": "dot", "width": 1.5},
            )
        )
    if target is not None:
        traces.append(
            _line(
                "Target",
                period_x,
                [_float(target)] * 2,
                line={"color": GREEN, "dash": "dash", "width": 1.5},
            )
        )
    if stretch is not None:
        traces.append(
            _line(
                "Stretch",
                period_x,
                [_float(stretch)] * 2,
                line={"color": BRAND, "dash": "dashdot", "width": 1.5},
            )
        )
    traces.append(
        _line(
            "Value",
            [point.day for point in history],
            [_float(point.value) for point in history],
            mode="lines+markers" if len(history) < 3 else "lines",
            line={"color": INK, "width": 2.5},
        )
    )
    if forecast is not None:
        traces.append(
            _line(
                "Forecast",
                [forecast.start.day, forecast.end_day],
                [_float(forecast.start.value), _float(forecast.value)],
                mode="lines+markers",
                line={"color": BRAND, "dash": "dash", "width": 2},
                marker={"size": [0, 8]},
                hovertext=["", forecast.probability_text],
                hovertemplate="%{x}: %{y:.1f}<br>%{hovertext}<extra>Forecast</extra>",
            )
        )
    for kind, name, symbol, colour in (
        ("adjustment", "Adjustments", "diamond", AMBER),
        ("check-in", "Check-ins", "circle-open", BRAND),
    ):
        chosen = [marker for marker in markers if marker.kind == kind]
        if chosen:
            traces.append(
                _line(
                    name,
                    [marker.day for marker in chosen],
                    [_float(marker.value) for marker in chosen],
                    mode="markers",
                    marker={"symbol": symbol, "size": 11, "color": colour, "line": {"width": 2}},
                    hovertext=[marker.note for marker in chosen],
                    hovertemplate="%{x}<br>%{hovertext}<extra></extra>",
                )
            )
    # A day of room after the period end keeps the forecast's end marker inside the plot.
    x_range = [start, end + timedelta(days=1)]
    yaxis = {"title": {"text": unit_title}, "gridcolor": GRID, "zeroline": False}
    y_range = _y_range(traces, value_range)
    if y_range is not None:
        yaxis["range"] = y_range
    return _figure(
        traces, y_title=unit_title, xaxis={"gridcolor": GRID, "range": x_range}, yaxis=yaxis
    )


def _y_range(
    traces: Sequence[dict], value_range: tuple[Decimal | None, Decimal | None]
) -> list[float] | None:
    """What the traces draw, padded by a twentieth of its span and kept within the range the
    values can take (None when nothing is drawn: plotly picks)."""
    drawn = [y for trace in traces for y in trace.get("y", []) if isinstance(y, int | float)]
    if not drawn:
        return None
    low, high = min(drawn), max(drawn)
    pad = (high - low) / 20 or max(abs(high) / 20, 1.0)
    low, high = low - pad, high + pad
    floor, ceiling = value_range
    if floor is not None:
        low = max(low, float(floor))
    if ceiling is not None:
        high = min(high, float(ceiling) + pad)
    return [low, high]


def contributions_figure(
    *, members: Sequence[tuple[str, Decimal | None]], team_value: Decimal | None, unit_title: str
) -> dict:
    """A waterfall of each member's points stacking up to the team value."""
    points = [_float(points) or 0.0 for _, points in members] + [_float(team_value) or 0.0]
    waterfall = {
        "type": "waterfall",
        "x": [name for name, _ in members] + ["Team"],
        "y": points,
        "measure": ["relative"] * len(members) + ["total"],
        "text": [f"{value:.1f}" for value in points],
        "textposition": "outside",
        "connector": {"line": {"color": GRID}},
        "increasing": {"marker": {"color": BRAND}},
        "decreasing": {"marker": {"color": RED}},
        "totals": {"marker": {"color": INK}},
        "hovertemplate": "%{x}: %{y:.1f} points<extra></extra>",
    }
    return _figure([waterfall], y_title=unit_title, height=320, showlegend=False)


def progress_trend_figure(*, series: Sequence[tuple[str, Sequence[Point]]]) -> dict:
    """Progress (percent of the way to target) of several goals over the period, as clamped by
    the caller (goals.display.PROGRESS_RANGE): the axis runs from 0 to the highest point (at
    least past the 100 % target line), whatever one goal did below its baseline."""
    traces = [
        _line(name, [point.day for point in points], [_float(point.value) for point in points])
        for name, points in series
    ]
    highest = max(
        (float(point.value) for _, points in series for point in points if point.value is not None),
        default=100.0,
    )
    axis = {
        "title": {"text": "Progress %"},
        "gridcolor": GRID,
        "zeroline": False,
        "range": [0, max(highest, 100.0) * 1.08],
    }
    target_line = {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": 100,
        "y1": 100,
        "line": {"color": GREEN, "dash": "dash", "width": 1},
    }
    return _figure(
        traces,
        y_title="Progress %",
        height=300,
        showlegend=True,
        yaxis=axis,
        shapes=[target_line],
    )


def health_trend_figure(
    *,
    weeks: Sequence[date],
    percents: Sequence[tuple[str, Sequence[Decimal | None]]],
    counts: Sequence[tuple[str, Sequence[Decimal | None]]],
) -> dict:
    """Program health per week: percentages on the left axis, counts on the right one."""
    traces = [
        _line(name, weeks, [_float(value) for value in values], mode="lines+markers")
        for name, values in percents
    ] + [
        _line(
            name,
            weeks,
            [_float(value) for value in values],
            mode="lines+markers",
            yaxis="y2",
            line={"dash": "dot"},
        )
        for name, values in counts
    ]
    return _figure(
        traces,
        y_title="%",
        height=300,
        yaxis={"title": {"text": "%"}, "gridcolor": GRID, "range": [0, 105]},
        yaxis2={
            "title": {"text": "per member"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
        },
        margin={"l": 48, "r": 48, "t": 12, "b": 36},
    )


def sparkline_svg(
    values: Sequence[Decimal | None], *, width: int = 96, height: int = 24, most: int = 40
) -> str:
    """A tiny inline SVG line of the period's values (decorative: the row states the numbers).

    At most `most` points are drawn (evenly picked, the last one kept): a sparkline cannot show
    more, and a long period would only make the page heavier."""
    known = [value for value in values if value is not None]
    if len(known) < 2:
        return SafeString("")
    if len(known) > most:
        step = (len(known) - 1) / (most - 1)
        known = [known[round(index * step)] for index in range(most)]
    low, high = min(known), max(known)
    span = float(high - low) or 1.0
    x_step = (width - 4) / (len(known) - 1)
    coordinates = [
        (2 + index * x_step, height - 2 - float(value - low) / span * (height - 4))
        for index, value in enumerate(known)
    ]
    # Only numbers are formatted into the markup, so it is safe as it stands.
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
    last_x, last_y = coordinates[-1]
    return SafeString(
        f'<svg class="sparkline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-hidden="true" focusable="false">'
        f'<polyline points="{points}" fill="none" stroke="{BRAND}" stroke-width="1.5"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2" fill="{BRAND}"/></svg>'
    )
