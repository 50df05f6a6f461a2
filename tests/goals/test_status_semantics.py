"""What a goal's status says, computed by the recalculation from customer data (frozen time):
maintain floors and ceilings read the forecast, accumulating metrics follow their pace."""

from datetime import date, timedelta

import pytest
import time_machine

from goals import recalc
from goals.models import Goal, ProgressHistory
from goals.services import manual_entry_add
from tests.builders import D, customer, local, member_metric_goal, new_quarter, qbr

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]
DECEMBER = date(2025, 12, 1)


@pytest.fixture(autouse=True)
def valentines_day():
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        yield


def grr_floor(period, owner, lead, *, target="90", stretch=None) -> Goal:
    return member_metric_goal(
        owner,
        by=lead,
        period=period,
        name="Keep gross retention above 90%",
        metric_key="grr",
        direction="maintain",
        target=target,
        stretch_target=stretch,
    )


def calculated(goal: Goal) -> Goal:
    recalc.backfill_history([goal.pk])
    goal.refresh_from_db()
    return goal


def test_a_floor_that_holds_with_a_steady_book_is_on_track_at_100(lead, member):
    customer(member, {DECEMBER: 1000})
    customer(member, {DECEMBER: 3000})
    goal = calculated(grr_floor(new_quarter(), member, lead))

    assert goal.maintain_side == "floor"  # GRR is better higher: a floor by default
    assert (goal.current_value, goal.progress, goal.status) == (D(100), D(100), "on_track")
    assert goal.expected_progress is None  # pace does not apply to a floor


def test_a_floor_that_holds_but_whose_forecast_falls_through_it_is_at_risk(lead, member):
    # One account shrinks by 1.5 % of its ARR every week: GRR 91 % now, heading for the 80s.
    weekly = {DECEMBER: 10000} | {
        date(2026, 1, 5) + timedelta(weeks=week): 10000 - 150 * (week + 1) for week in range(6)
    }
    customer(member, weekly)
    goal = calculated(grr_floor(new_quarter(), member, lead))

    assert goal.current_value == D(91)
    # GRR is a level: it is forecast to stay near 91, but the band's near edge is below 90.
    assert goal.forecast_low is not None and goal.forecast_low < 90 < goal.forecast_value
    assert (goal.progress, goal.status) == (D(100), "at_risk")
    today = ProgressHistory.objects.filter(goal=goal).latest("calc_version")
    assert (today.as_of, today.status) == (date(2026, 2, 14), "at_risk")


def test_a_breached_floor_is_behind_whatever_its_forecast(lead, member):
    customer(member, {DECEMBER: 1000, date(2026, 2, 1): 881})
    goal = calculated(grr_floor(new_quarter(), member, lead))

    assert (goal.current_value, goal.progress, goal.status) == (D("88.1"), D(0), "behind")


def test_a_floor_held_at_the_period_end_is_achieved_only_once_the_period_is_over(lead, member):
    customer(member, {DECEMBER: 1000})
    goal = calculated(grr_floor(new_quarter(), member, lead, stretch="99"))
    assert goal.status == "exceeded"  # beyond the stretch mid-period: shown, not yet final

    with time_machine.travel("2026-03-31 18:00Z", tick=False):
        recalc.recalculate_goals([goal.pk])
    goal.refresh_from_db()
    assert goal.status == "exceeded"  # the last day is not over yet

    with time_machine.travel("2026-04-01 08:00Z", tick=False):
        recalc.recalculate_goals([goal.pk])
    goal.refresh_from_db()
    last = ProgressHistory.objects.filter(goal=goal).latest("calc_version")
    assert (last.as_of, last.status) == (date(2026, 3, 31), "exceeded")


def test_a_ceiling_measured_by_hand_is_behind_above_it(lead, member):
    goal = member_metric_goal(
        member,
        by=lead,
        name="Keep onboarding under 30 days",
        unit="days",
        direction="maintain",
        maintain_side="ceiling",
        target="30",
    )
    manual_entry_add(goal=goal, by=member, value="28")
    recalc.recalculate_goals([goal.pk])
    goal.refresh_from_db()
    assert (goal.progress, goal.status) == (D(100), "on_track")

    manual_entry_add(goal=goal, by=member, value="31.5")
    recalc.recalculate_goals([goal.pk])
    goal.refresh_from_db()
    assert (goal.progress, goal.status) == (D(0), "behind")


def qbr_book(csm, completed: list[date], customers: int = 10):
    clients = [customer(csm, {DECEMBER: 1000}) for _ in range(customers)]
    for client, day in zip(clients, completed, strict=False):
        qbr(client, day, local(day.year, day.month, day.day, 15))
    return clients


def qbr_goal(period, owner, lead) -> Goal:
    return member_metric_goal(
        owner,
        by=lead,
        period=period,
        name="QBRs with every customer",
        metric_key="qbr_completion",
        baseline="85",  # last quarter's completion: for comparison only
        target="90",
    )


def test_qbr_completion_on_an_even_pace_is_on_track_from_the_first_weeks(lead, member):
    held = [date(2026, 1, 5), date(2026, 1, 15), date(2026, 1, 25), date(2026, 2, 4)]
    qbr_book(member, [*held, date(2026, 2, 12)])
    goal = calculated(qbr_goal(new_quarter(), member, lead))

    # 5 of 10 customers met halfway through the quarter: 50 %, against 45 % expected of the
    # 90 % target (progress 55.6 % vs 50 % expected), not -700 % from last quarter's 85 %.
    assert goal.current_value == D(50)
    assert goal.progress == D("55.5556")
    assert (goal.expected_progress, goal.status) == (D(50), "on_track")
    early = ProgressHistory.objects.get(goal=goal, as_of=date(2026, 1, 10))
    # 10 January: one QBR of ten is 10 %, 11 % of the target expected on day 10 of 90.
    assert (early.value, early.status) == (D(10), "on_track")


def test_qbr_completion_falling_behind_its_pace_is_behind(lead, member):
    qbr_book(member, [date(2026, 1, 20)])
    goal = calculated(qbr_goal(new_quarter(), member, lead))

    assert goal.current_value == D(10)
    assert (goal.expected_progress, goal.status) == (D(50), "behind")


def test_a_ceiling_forecast_probability_counts_values_below_it(lead, member):
    customer(member, {DECEMBER: 1000})
    goal = member_metric_goal(
        member,
        by=lead,
        name="Escalations",
        unit="count",
        direction="maintain",
        maintain_side="ceiling",
        target="10",
    )
    counts = ((9, 2), (10, 3), (11, 3), (12, 4), (13, 5), (14, 6))  # February: about +1 a day
    for day, count in ((date(2026, 2, day), count) for day, count in counts):
        ProgressHistory.objects.create(
            goal=goal,
            as_of=day,
            value=D(count),
            status="on_track",
            recorded_at=local(day.year, day.month, day.day, 12),
            calc_version=day.day,
        )
    Goal.objects.filter(pk=goal.pk).update(calc_version=100)
    manual_entry_add(goal=goal, by=member, value="6")
    recalc.recalculate_goals([goal.pk])
    goal.refresh_from_db()
    assert goal.forecast_value is not None and goal.forecast_value > 10
    assert goal.forecast_target_probability < 50  # "reaching" a ceiling is staying under it
    assert goal.status == "at_risk"
