"""Charts built on the server: Plotly figures (drawn by plotly.js in the browser) and sparklines.

A figure is returned as a plain JSON-ready dict; the page embeds it in a
`<script type="application/json">` block and `dashboards/dashboard.js` draws it, so no inline
script is needed under the Content Security Policy.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import plotly.graph_objects as go
from django.utils.html import format_html, format_html_join
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


def _as_dict(figure: go.Figure) -> dict:
    # to_json handles dates and numpy values; the dict then goes through Django's json_script.
    return json.loads(figure.to_json())


def _layout(figure: go.Figure, *, y_title: str, height: int = 360) -> None:
    figure.update_layout(
        # No Plotly template: the colours are set here, and the page stays kilobytes lighter.
        template="none",
        height=height,
        margin={"l": 48, "r": 12, "t": 12, "b": 36},
        font={"family": FONT, "color": INK, "size": 12},
        paper_bgcolor="#fff",
        plot_bgcolor="#fff",
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        yaxis={"title": {"text": y_title}, "gridcolor": GRID, "zeroline": False},
        xaxis={"gridcolor": GRID},
    )


def goal_progress_figure(
    *,
    history: Sequence[Point],
    start: date,
    end: date,
    unit_title: str,
    target: Decimal | None,
    stretch: Decimal | None,
    pace_start: Decimal | None,
    pace_end: Decimal | None,
    forecast: ForecastBand | None,
    previous: Sequence[Point] = (),
    previous_name: str = "",
    markers: Sequence[Marker] = (),
) -> dict:
    """The goal chart: measured value, target and stretch lines, the expected pace, the forecast
    with its 80% band to the period end, last period's line at the same elapsed day (faint), and
    markers for adjustments and check-ins whose hover shows the note."""
    figure = go.Figure()
    period_x = [start, end]
    if forecast is not None and forecast.low is not None and forecast.high is not None:
        figure.add_trace(
            go.Scatter(
                x=[forecast.start.day, forecast.end_day, forecast.end_day, forecast.start.day],
                y=[
                    _float(forecast.start.value),
                    _float(forecast.high),
                    _float(forecast.low),
                    _float(forecast.start.value),
                ],
                fill="toself",
                fillcolor="rgba(47, 91, 211, 0.12)",
                line={"width": 0},
                name="Forecast 80% band",
                hoverinfo="skip",
            )
        )
    if previous:
        figure.add_trace(
            go.Scatter(
                x=[point.day for point in previous],
                y=[_float(point.value) for point in previous],
                mode="lines",
                name=previous_name or "Previous period",
                line={"color": MUTED, "width": 1.5},
                opacity=0.35,
            )
        )
    if pace_start is not None and pace_end is not None:
        figure.add_trace(
            go.Scatter(
                x=period_x,
                y=[_float(pace_start), _float(pace_end)],
                mode="lines",
                name="Expected pace",
                line={"color": MUTED, "dash": "dot", "width": 1.5},
            )
        )
    if target is not None:
        figure.add_trace(
            go.Scatter(
                x=period_x,
                y=[_float(target)] * 2,
                mode="lines",
                name="Target",
                line={"color": GREEN, "dash": "dash", "width": 1.5},
            )
        )
    if stretch is not None:
        figure.add_trace(
            go.Scatter(
                x=period_x,
                y=[_float(stretch)] * 2,
                mode="lines",
                name="Stretch",
                line={"color": BRAND, "dash": "dashdot", "width": 1.5},
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[point.day for point in history],
            y=[_float(point.value) for point in history],
            mode="lines+markers" if len(history) < 3 else "lines",
            name="Value",
            line={"color": INK, "width": 2.5},
        )
    )
    if forecast is not None:
        figure.add_trace(
            go.Scatter(
                x=[forecast.start.day, forecast.end_day],
                y=[_float(forecast.start.value), _float(forecast.value)],
                mode="lines+markers",
                name="Forecast",
                line={"color": BRAND, "dash": "dash", "width": 2},
                marker={"size": [0, 8]},
                hovertext=["", forecast.probability_text],
                hovertemplate="%{x}: %{y:.1f}<br>%{hovertext}<extra>Forecast</extra>",
            )
        )
    for kind, symbol, colour in (
        ("adjustment", "diamond", AMBER),
        ("check-in", "circle-open", BRAND),
    ):
        chosen = [marker for marker in markers if marker.kind == kind]
        if chosen:
            figure.add_trace(
                go.Scatter(
                    x=[marker.day for marker in chosen],
                    y=[_float(marker.value) for marker in chosen],
                    mode="markers",
                    name="Adjustments" if kind == "adjustment" else "Check-ins",
                    marker={"symbol": symbol, "size": 11, "color": colour, "line": {"width": 2}},
                    hovertext=[marker.note for marker in chosen],
                    hovertemplate="%{x}<br>%{hovertext}<extra></extra>",
                )
            )
    _layout(figure, y_title=unit_title)
    figure.update_xaxes(range=[start, end])
    return _as_dict(figure)


def contributions_figure(
    *, members: Sequence[tuple[str, Decimal | None]], team_value: Decimal | None, unit_title: str
) -> dict:
    """A waterfall of each member's points stacking up to the team value."""
    names = [name for name, _ in members] + ["Team"]
    points = [_float(points) or 0.0 for _, points in members] + [_float(team_value) or 0.0]
    figure = go.Figure(
        go.Waterfall(
            x=names,
            y=points,
            measure=["relative"] * len(members) + ["total"],
            text=[f"{value:.1f}" for value in points],
            textposition="outside",
            connector={"line": {"color": GRID}},
            increasing={"marker": {"color": BRAND}},
            decreasing={"marker": {"color": RED}},
            totals={"marker": {"color": INK}},
            hovertemplate="%{x}: %{y:.1f} points<extra></extra>",
        )
    )
    _layout(figure, y_title=unit_title, height=320)
    figure.update_layout(showlegend=False)
    return _as_dict(figure)


def progress_trend_figure(*, series: Sequence[tuple[str, Sequence[Point]]]) -> dict:
    """Progress (percent of the way to target) of several goals over the period."""
    figure = go.Figure()
    for name, points in series:
        figure.add_trace(
            go.Scatter(
                x=[point.day for point in points],
                y=[_float(point.value) for point in points],
                mode="lines",
                name=name,
            )
        )
    _layout(figure, y_title="Progress %", height=300)
    return _as_dict(figure)


def health_trend_figure(
    *, weeks: Sequence[date], series: Sequence[tuple[str, Sequence[Decimal | None]]]
) -> dict:
    """Program health per week: one line per measure."""
    figure = go.Figure()
    for name, values in series:
        figure.add_trace(
            go.Scatter(
                x=list(weeks),
                y=[_float(value) for value in values],
                mode="lines+markers",
                name=name,
            )
        )
    _layout(figure, y_title="", height=300)
    return _as_dict(figure)


def sparkline_svg(values: Sequence[Decimal | None], *, width: int = 96, height: int = 24) -> str:
    """A tiny inline SVG line of the period's values (decorative: the row states the numbers)."""
    known = [value for value in values if value is not None]
    if len(known) < 2:
        return SafeString("")
    low, high = min(known), max(known)
    span = (high - low) or Decimal(1)
    step = Decimal(width - 4) / (len(known) - 1)
    coordinates = [
        (
            Decimal(2) + index * step,
            Decimal(height - 2) - (value - low) / span * Decimal(height - 4),
        )
        for index, value in enumerate(known)
    ]
    points = format_html_join(" ", "{},{}", ((f"{x:.1f}", f"{y:.1f}") for x, y in coordinates))
    last_x, last_y = coordinates[-1]
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" aria-hidden="true" '
        'focusable="false"><polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"/>'
        '<circle cx="{}" cy="{}" r="2" fill="{}"/></svg>',
        width,
        height,
        width,
        height,
        points,
        BRAND,
        f"{last_x:.1f}",
        f"{last_y:.1f}",
        BRAND,
    )
