"""Progress, expected progress and status rules (DESIGN.md section 4); the forecast's are in
test_forecast.py."""

from datetime import date

import pytest

from goals.progress import (
    Outlook,
    count_progress,
    expected_progress,
    goal_state,
    goal_status,
    maintain_status,
    metric_progress,
    weighted_progress,
)
from tests.builders import D

START, END = date(2026, 1, 1), date(2026, 3, 31)  # 90 days


@pytest.mark.parametrize(("current", "progress"), [(80, 50), (70, 75), (50, 125), (100, 0)])
def test_decrease_goal_from_100_to_60_is_the_published_check(current, progress):
    assert metric_progress(
        direction="decrease", baseline=D(100), target=D(60), value=D(current)
    ) == D(progress)


def test_increase_progress_is_not_clamped():
    assert metric_progress(direction="increase", baseline=D(90), target=D(110), value=D(115)) == 125
    assert metric_progress(direction="increase", baseline=D(90), target=D(110), value=D(85)) == -25


@pytest.mark.parametrize(
    ("side", "current", "progress"),
    [("floor", 95, 100), ("floor", "97.5", 100), ("floor", 76, 0), ("ceiling", 30, 100)]
    + [("ceiling", "30.1", 0), ("ceiling", 12, 100)],
)
def test_maintain_holds_at_100_or_is_breached_at_0(side, current, progress):
    target = D(95) if side == "floor" else D(30)
    assert metric_progress(
        direction="maintain", baseline=None, target=target, value=D(current), side=side
    ) == D(progress)


def test_an_accumulating_metric_fills_up_from_its_origin_not_from_the_baseline():
    # QBR completion, last quarter 85 %, target 90 %: 45 % done is halfway to the target.
    assert metric_progress(
        direction="increase", baseline=D(85), target=D(90), value=D(45), origin=D(0)
    ) == D(50)


def test_no_value_means_no_progress():
    assert metric_progress(direction="increase", baseline=D(1), target=D(2), value=None) is None


def test_tasks_milestones_and_roll_ups():
    assert count_progress(done=D(3), total=12) == 25
    assert count_progress(done=D(0), total=None) is None
    assert weighted_progress([(D(50), D(1)), (D(100), D(3)), (None, D(5))]) == D("87.5")
    assert weighted_progress([(None, D(1))]) is None


def test_expected_progress_counts_whole_days_of_the_period():
    assert expected_progress(start=START, end=END, as_of=date(2025, 12, 31)) == 0
    assert expected_progress(start=START, end=END, as_of=date(2026, 2, 14)).quantize(D("0.01")) == (
        D("50.00")
    )
    assert expected_progress(start=START, end=END, as_of=END) == 100
    assert expected_progress(start=START, end=END, as_of=date(2026, 5, 1)) == 100


@pytest.mark.parametrize(
    ("progress", "status"),
    [
        (D(45), "on_track"),
        (D(40), "on_track"),
        (D("39.99"), "at_risk"),
        (D(25), "at_risk"),
        (D("24.9"), "behind"),
        (D(100), "achieved"),
        (D(130), "achieved"),
    ],
)
def test_status_by_pace_with_default_thresholds(progress, status):
    assert goal_status(progress=progress, expected=D(50)) == status


def test_thresholds_are_settings(settings):
    settings.GOAL_STATUS_ON_TRACK_MARGIN = 5
    settings.GOAL_STATUS_AT_RISK_MARGIN = 8
    assert goal_status(progress=D(44), expected=D(50)) == "at_risk"
    assert goal_status(progress=D(41), expected=D(50)) == "behind"


def test_exceeded_needs_a_stretch_target_reached_in_the_goals_direction():
    assert goal_status(progress=D(150), expected=D(50), value=D(130)) == "achieved"
    assert (
        goal_status(progress=D(150), expected=D(50), value=D(130), stretch_target=D(125))
        == "exceeded"
    )
    assert (
        goal_status(
            progress=D(150), expected=D(50), value=D(40), direction="decrease", stretch_target=D(45)
        )
        == "exceeded"
    )
    assert goal_status(progress=None, expected=D(50)) == "no_data"


@pytest.mark.parametrize(
    ("value", "outlook", "closed", "status"),
    [
        (D("92.5"), Outlook(D(93), D(91), D(95)), False, "on_track"),  # holds, band above
        (D("92.5"), None, False, "on_track"),  # holds, no forecast yet
        (D("92.5"), Outlook(D(89), D(86), D(92)), False, "at_risk"),  # forecast ends below
        (D("92.5"), Outlook(D(91), D("89.9"), D(93)), False, "at_risk"),  # band's low edge below
        (D("88.1"), Outlook(D(95), D(93), D(97)), False, "behind"),  # breached, whatever next
        (D(90), None, False, "on_track"),  # exactly on the floor holds it
        (D("96.5"), Outlook(D(97), D(96), D(98)), False, "exceeded"),  # beyond the stretch
        (D("92.5"), Outlook(D(80), D(70), D(90)), True, "achieved"),  # held at the period end
        (D("89.9"), None, True, "behind"),  # breached at the period end
    ],
)
def test_a_maintain_floor_is_behind_when_breached_at_risk_when_the_forecast_crosses(
    value, outlook, closed, status
):
    assert (
        maintain_status(
            value=value,
            target=D(90),
            stretch_target=D(96),
            outlook=outlook,
            closed=closed,
        )
        == status
    )


def test_a_ceiling_reads_the_high_edge_of_the_band():
    ceiling = {"target": D(30), "side": "ceiling"}
    assert maintain_status(value=D(25), outlook=Outlook(D(27), D(22), D(29)), **ceiling) == (
        "on_track"
    )
    assert maintain_status(value=D(25), outlook=Outlook(D(28), D(23), D(31)), **ceiling) == (
        "at_risk"
    )
    assert maintain_status(value=D(31), **ceiling) == "behind"


def test_maintain_ignores_pace_and_has_no_expected_progress():
    state = goal_state(
        value=D(91),
        progress=D(100),
        start=START,
        end=END,
        as_of=date(2026, 3, 30),
        direction="maintain",
        target=D(90),
    )
    assert (state.expected_progress, state.status) == (None, "on_track")


def test_goal_state_rounds_to_stored_precision():
    state = goal_state(
        value=D(1) / D(3), progress=D(2) / D(3), start=START, end=END, as_of=date(2026, 1, 10)
    )
    assert (state.value, state.progress, state.expected_progress) == (
        D("0.3333"),
        D("0.6667"),
        D("11.1111"),
    )
    assert state.status == "at_risk"  # 10.4 points behind the pace
