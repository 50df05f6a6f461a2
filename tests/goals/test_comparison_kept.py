"""The comparison with earlier periods is kept in the cache per scope and books, and read back
by the goal page without evaluating any metric; writing a CSM's data or changing a team's
members makes the page evaluate it afresh."""

from datetime import date

import pytest
import time_machine

from goals.comparison import goal_comparison, warm_comparisons
from metrics.importing import import_records
from tests.builders import D, MembershipFactory, book, new_quarter, nrr_goal

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]


@pytest.fixture(autouse=True)
def valentines_day():
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        yield


@pytest.fixture
def goals(lead, member, team):
    new_quarter("Q4 2025", date(2025, 10, 1), date(2025, 12, 31))
    period = new_quarter()
    (customer,) = book(member, (1000, 1300), start=date(2025, 9, 1), change=date(2025, 12, 1))
    mine = nrr_goal(period, by=lead, owner=member, baseline="100", target="110")
    ours = nrr_goal(period, by=lead, team=team, baseline="100", target="110")
    return mine, ours, customer


def test_kept_comparisons_are_read_without_evaluating_a_metric(goals, django_assert_num_queries):
    mine, ours, _ = goals
    # Three windows for two scopes: evaluated once, by the worker after its run.
    assert warm_comparisons([mine.pk, ours.pk]) == 6
    assert warm_comparisons([mine.pk, ours.pk]) == 0
    # The team's members with the previous period's dates, in one query: no customer data.
    with django_assert_num_queries(1):
        comparison = goal_comparison(ours)
    assert comparison.previous_value == D(130)
    assert goal_comparison(mine).previous_value == D(130)


def test_a_data_write_makes_the_comparison_evaluated_afresh(
    goals, django_capture_on_commit_callbacks
):
    mine, ours, customer = goals
    warm_comparisons([mine.pk, ours.pk])
    with django_capture_on_commit_callbacks(execute=True):
        import_records(
            "arr",
            [
                (
                    2,
                    {
                        "customer_external_id": customer.external_id,
                        "effective_date": "2025-11-01",
                        "arr": "1200",
                    },
                )
            ],
        )
    assert goal_comparison(mine).previous_value == D(130)  # Dec 1 is still 1300
    assert goal_comparison(mine).same_point_value == D(120)  # Oct 1 .. Nov 14: now 1200
    assert goal_comparison(ours).same_point_value == D(120)


def test_a_new_member_changes_the_teams_comparison(goals, team, django_assert_max_num_queries):
    mine, ours, _ = goals
    warm_comparisons([mine.pk, ours.pk])
    newcomer = MembershipFactory(team=team).user
    book(newcomer, (1000, 1000), start=date(2025, 9, 1), change=date(2025, 12, 1))
    # 1300 + 1000 over 1000 + 1000; the member's own comparison is still kept.
    assert goal_comparison(ours).previous_value == D(115)
    with django_assert_max_num_queries(2):
        assert goal_comparison(mine).previous_value == D(130)
