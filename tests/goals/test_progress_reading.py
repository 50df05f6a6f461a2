"""Progress reads like progress: bars from 0 to 100 % with a stretch zone, "below baseline" for a
negative progress, a maintain goal holding its floor or breached by so much in its unit; the
goal page and the dashboard say the same."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from goals import recalc
from goals.display import progress_reading
from goals.models import Goal
from tests.builders import D, customer, member_metric_goal, nrr_goal


def goal(**fields) -> Goal:
    """An unsaved goal with the stored numbers a recalculation leaves."""
    defaults = {"goal_type": "metric", "metric_key": "nrr", "direction": "increase"}
    return Goal(**(defaults | fields))


@pytest.mark.parametrize(
    ("fields", "text", "bar"),
    [
        ({"progress": D("64.2"), "expected_progress": D(50)}, "64%", "64.2"),
        ({"progress": D("-137.7")}, "below baseline", "0.0"),
        ({"progress": D("-20"), "direction": "decrease"}, "above baseline", "0.0"),
        (
            {"progress": D("125"), "current_value": D(115), "target": D(110)},
            "125% · past target",
            "100.0",
        ),
        ({"progress": None}, "no data", "0.0"),
    ],
)
def test_increase_and_decrease_goals_read_within_0_and_100(fields, text, bar):
    reading = progress_reading(goal(**fields))
    assert (reading.text, reading.bar, reading.stretch_zone) == (text, bar, False)


def test_a_stretch_zone_follows_the_target_and_fills_towards_the_stretch():
    reading = progress_reading(
        goal(
            baseline=D(100),
            target=D(110),
            stretch_target=D(120),
            current_value=D(115),
            progress=D(150),
            expected_progress=D(50),
        )
    )
    # The target's mark sits at 80 % of the bar; half-way to the stretch fills half the zone.
    assert (reading.bar, reading.pace, reading.stretch_zone, reading.stretch_fill) == (
        "80.0",
        "40.0",
        True,
        "50.0",
    )
    assert reading.text == "150% · past target"
    assert reading.label == "Progress 150% · past target, expected 50% by now"


@pytest.mark.parametrize(
    ("fields", "text", "breached"),
    [
        (
            {"metric_key": "grr", "current_value": D("92.5"), "progress": D(100)},
            "100% · holds the 90% floor",
            False,
        ),
        (
            {"metric_key": "grr", "current_value": D("88.1"), "progress": D(0)},
            "1.9 pts under the 90% floor",
            True,
        ),
        (
            {
                "metric_key": "",
                "unit": "days",
                "maintain_side": "ceiling",
                "target": D(30),
                "current_value": D(33),
                "progress": D(0),
            },
            "3.0 days over the 30 days ceiling",
            True,
        ),
        (
            {"metric_key": "nps", "target": D("20.5"), "current_value": D(18), "progress": D(0)},
            "2.5 pts under the 20.5 pts floor",
            True,
        ),
    ],
)
def test_a_maintain_goal_holds_or_says_its_breach_in_its_unit(fields, text, breached):
    reading = progress_reading(goal(**({"direction": "maintain", "target": D(90)} | fields)))
    assert (reading.text, reading.breached, reading.expected, reading.pace) == (
        text,
        breached,
        "",
        None,
    )
    assert reading.bar == ("0" if breached else "100")


@pytest.mark.django_db
@pytest.mark.sqlite_parity
def test_the_goal_page_and_the_dashboard_read_a_breached_floor_in_points(
    client, lead, member, team
):
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        customer(member, {date(2025, 12, 1): 1000, date(2026, 2, 1): 881})
        floor = member_metric_goal(
            member,
            by=lead,
            name="Keep gross retention above 90%",
            metric_key="grr",
            direction="maintain",
            target="90",
        )
        below = nrr_goal(
            floor.period, by=lead, owner=member, name="Grow NRR", baseline="110", target="112"
        )
        recalc.backfill_history([floor.pk, below.pk])
        client.force_login(lead)
        detail = client.get(f"/goals/{floor.pk}/").text
        dashboard = client.get(f"/teams/{team.pk}/").text
    assert '<div class="stat" id="goal-progress">1.9 pts under the 90% floor</div>' in detail
    assert "no pace" in detail and "expected by now" not in detail
    assert "1.9 pts under the 90% floor" in dashboard
    # NRR 88.1 against a baseline of 110: "below baseline", not "-1095%".
    assert Goal.objects.get(pk=below.pk).progress < Decimal(-1000)
    assert "below baseline" in dashboard and "-1,095" not in dashboard
