"""The metric engine: published figures, edge cases, contributions and query counts.

Every test here also runs on SQLite (`sqlite_parity`), so the numbers are proven the same there.
"""

from datetime import date
from decimal import Decimal

import pytest

from goals_project.people.models import Membership
from metrics.models import Customer
from metrics.registry import METRICS, Ratio, evaluate, evaluate_metrics, get_metric
from tests.builders import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
    customer,
    local,
    nps,
    qbr,
    renewals,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]

Q1 = {"start": date(2026, 1, 1), "end": date(2026, 3, 31)}
BEFORE = date(2025, 6, 1)
MID = date(2026, 2, 10)


def value(key, user, **window):
    return evaluate(key, user_ids=[user.pk], **(window or Q1)).users[user.pk].value


def test_nrr_published_figure_expansion_contraction_churn(member):
    customer(member, {BEFORE: 1_000_000, MID: 1_300_000})  # +300,000 expansion
    customer(member, {BEFORE: 500_000, MID: 450_000})  # -50,000 contraction
    customer(member, {BEFORE: 400_000})
    customer(member, {BEFORE: 100_000, MID: 0})  # -100,000 churn
    assert value("nrr", member) == Decimal("107.5")
    assert value("grr", member) == Decimal("92.5")


def test_nrr_published_figure_small_book(member):
    customer(member, {BEFORE: 900, MID: 1100})
    customer(member, {BEFORE: 100, MID: 0})
    assert value("nrr", member) == Decimal("110")


def test_grr_published_figure_ignores_expansion(member):
    customer(member, {BEFORE: 50_000, MID: 44_000})  # -6,000 contraction
    customer(member, {BEFORE: 8_000, date(2026, 3, 31): 0})  # -8,000 churn on the last day
    customer(member, {BEFORE: 42_000, MID: 60_000})  # expansion never counts
    assert value("grr", member) == Decimal("86")
    assert value("nrr", member) == Decimal("104")


def test_grr_is_never_above_100(member):
    customer(member, {BEFORE: 1_000, MID: 5_000})
    assert value("grr", member) == Decimal("100")
    assert value("nrr", member) == Decimal("500")


def test_renewal_rate_published_figure_ignores_pending(member):
    renewals(member, ["renewed"] * 102 + ["churned"] * 18 + ["pending"] * 7, date(2026, 2, 1))
    ratio = evaluate("renewal_rate", user_ids=[member.pk], **Q1).users[member.pk]
    assert ratio == Ratio(Decimal(102), Decimal(120))
    assert ratio.value == Decimal(85)


def test_retention_rate_is_an_alias_of_renewal_rate(member):
    renewals(member, ["renewed", "churned"], date(2026, 2, 1))
    assert get_metric("retention_rate") is METRICS["renewal_rate"]
    assert value("retention_rate", member) == Decimal(50)


def test_unknown_metric_names_the_key():
    with pytest.raises(KeyError, match="Unknown metric 'arr_growth'.*nrr"):
        get_metric("arr_growth")


def test_nps_published_figure(member):
    client = customer(member)
    nps(client, *([9, 10] * 35), *([7, 8] * 10), *([0, 6] * 5), at=local(2026, 2, 3, 12))
    ratio = evaluate("nps", user_ids=[member.pk], **Q1).users[member.pk]
    assert (ratio.numerator, ratio.denominator) == (Decimal(60), Decimal(100))
    assert ratio.value == Decimal(60)


def test_nps_ranges_from_minus_100(member):
    nps(customer(member), 0, 3, 6, at=local(2026, 1, 5, 9))
    assert value("nps", member) == Decimal(-100)


def test_customers_new_after_the_start_are_left_out_of_nrr_and_grr(member):
    customer(member, {BEFORE: 1_000})
    customer(member, {MID: 50_000})  # won during the window
    customer(member, {date(2026, 1, 1): 500})  # ARR from the first day counts as start ARR
    assert value("nrr", member) == Decimal(100)
    assert evaluate("nrr", user_ids=[member.pk], **Q1).users[member.pk].denominator == 1_500


def test_rebought_customers(member):
    # Churned during the window and bought again before its end: counts with its end ARR.
    customer(member, {BEFORE: 1_000, date(2026, 1, 15): 0, date(2026, 3, 1): 800})
    # Churned before the window and won back during it: not in the cohort.
    customer(member, {BEFORE: 2_000, date(2025, 12, 1): 0, MID: 3_000})
    ratio = evaluate("nrr", user_ids=[member.pk], **Q1).users[member.pk]
    assert ratio == Ratio(Decimal(800), Decimal(1_000))
    assert value("grr", member) == Decimal(80)


def test_arr_as_of_any_past_date(member):
    customer(member, {date(2025, 1, 1): 100, date(2025, 4, 1): 120, date(2025, 7, 1): 90})
    window = {"start": date(2025, 1, 1), "end": date(2025, 6, 30)}
    assert value("nrr", member, **window) == Decimal(120)
    window = {"start": date(2025, 4, 1), "end": date(2025, 7, 1)}
    assert value("nrr", member, **window) == Decimal(75)


def test_responses_exactly_on_the_window_ends_count(member):
    client = customer(member)
    nps(client, 10, at=local(2026, 1, 1, 0, 0, 0))
    nps(client, 0, at=local(2026, 3, 31, 23, 59, 59, 999999))
    nps(client, 0, 0, at=local(2025, 12, 31, 23, 59, 59))  # outside
    nps(client, 0, 0, at=local(2026, 4, 1, 0, 0, 0))  # outside
    assert evaluate("nps", user_ids=[member.pk], **Q1).users[member.pk] == Ratio(0, 2)


def test_timestamps_count_on_their_local_date(member, settings):
    settings.TIME_ZONE = "America/New_York"
    client = customer(member)
    # 02:00 UTC on April 1st is still March 31st in New York: inside Q1 there.
    nps(client, 10, at=local(2026, 3, 31, 22, 0))
    nps(client, 0, at=local(2026, 1, 1, 0, 30))
    assert value("nps", member) == Decimal(0)
    assert evaluate("nps", user_ids=[member.pk], **Q1).users[member.pk].denominator == 2


@pytest.mark.parametrize("key", sorted(METRICS))
def test_a_csm_with_no_customers_has_no_data(key, member):
    results = evaluate(key, user_ids=[member.pk], **Q1)
    assert results.users[member.pk] == Ratio()
    assert results.users[member.pk].value is None


@pytest.mark.parametrize("key", sorted(METRICS))
def test_a_team_with_no_members_has_no_data(key):
    empty = TeamFactory(name="Empty")
    results = evaluate(key, team_ids=[empty.pk], **Q1)
    assert results.teams[empty.pk].value is None
    assert results.contributions[empty.pk] == {}


def test_qbr_windows_crossing_a_quarter_boundary(member):
    window = {"start": date(2026, 2, 15), "end": date(2026, 5, 15)}
    done_both = customer(member, {BEFORE: 100})
    qbr(done_both, date(2026, 3, 1), local(2026, 3, 10, 15))
    qbr(done_both, date(2026, 4, 20), local(2026, 4, 21, 15))
    done_q1_only = customer(member, {BEFORE: 100})
    qbr(done_q1_only, date(2026, 3, 1), local(2026, 2, 15, 0))
    qbr(done_q1_only, date(2026, 5, 10), None)  # scheduled, not held
    before_window = customer(member, {BEFORE: 100})
    qbr(before_window, date(2026, 2, 1), local(2026, 2, 14, 23, 59))  # Q1, but before the window
    churned_in_q2 = customer(member, {BEFORE: 100, date(2026, 4, 30): 0})
    qbr(churned_in_q2, date(2026, 3, 20), local(2026, 3, 20, 9))
    customer(member, {date(2026, 4, 10): 100})  # new in Q2: expected in Q2 only
    customer(member, {date(2026, 5, 16): 100})  # new after the window: never expected
    # Q1 part: 4 expected, 3 done; Q2 part: 4 expected (churned one left), 1 done.
    ratio = evaluate("qbr_completion", user_ids=[member.pk], **window).users[member.pk]
    assert ratio == Ratio(Decimal(4), Decimal(8))
    assert ratio.value == Decimal(50)


@pytest.mark.parametrize(
    "window",
    [
        Q1,
        {"start": date(2026, 2, 15), "end": date(2026, 5, 15)},  # two quarter parts
        {"start": date(2026, 3, 31), "end": date(2026, 3, 31)},  # one day
        {"start": date(2026, 4, 1), "end": date(2026, 3, 31)},  # empty: end before start
    ],
)
def test_revenue_and_qbr_asked_together_equal_each_alone(
    window, member, teammate, django_assert_num_queries
):
    # NRR, GRR and QBR completion asked together share one pass over the customers; each
    # owner's numbers are those of the metric asked alone, whatever the owner's book holds.
    kept = customer(member, {BEFORE: 1_000, date(2026, 3, 31): 1_500, date(2026, 5, 1): 900})
    qbr(kept, date(2026, 3, 1), local(2026, 3, 1, 9))
    qbr(kept, date(2026, 4, 20), local(2026, 4, 20, 9))
    churned = customer(member, {BEFORE: 400, date(2026, 2, 1): 0})
    qbr(churned, date(2026, 1, 20), local(2026, 1, 20, 9))
    customer(member, {date(2026, 6, 1): 700})  # only after every window
    new = customer(teammate, {MID: 300})  # new: QBR expected, not in the NRR cohort
    qbr(new, date(2026, 3, 1), local(2026, 3, 2, 9))
    customer(teammate, {BEFORE: 200, date(2025, 12, 1): 0})  # churned before: in neither
    users = [member.pk, teammate.pk]
    keys = ["nrr", "grr", "qbr_completion"]
    with django_assert_num_queries(1):
        together = evaluate_metrics({key: (users, []) for key in keys}, **window)
    for key in keys:
        assert together[key].users == evaluate(key, user_ids=users, **window).users, key
    if window is Q1:
        assert together["nrr"].users[member.pk] == Ratio(Decimal(1_500), Decimal(1_400))
        assert together["grr"].users[member.pk] == Ratio(Decimal(1_000), Decimal(1_400))
        assert together["nrr"].users[teammate.pk] == Ratio()  # no ARR at the start
        assert together["qbr_completion"].users[member.pk] == Ratio(Decimal(1), Decimal(1))
        assert together["qbr_completion"].users[teammate.pk] == Ratio(Decimal(1), Decimal(1))


def test_all_five_metrics_for_teams_are_four_queries(team_books, django_assert_num_queries):
    # The memberships, then one pass for NRR, GRR and QBR completion, one for renewals, one for
    # NPS, whatever the number of scopes.
    team_ids = [team_books.pk]
    with django_assert_num_queries(4):
        results = evaluate_metrics({key: ([], team_ids) for key in METRICS}, **Q1)
    for key in METRICS:
        assert results[key].teams == evaluate(key, team_ids=team_ids, **Q1).teams, key


def test_qbr_completion_counts_a_customer_once_per_quarter(member):
    client = customer(member, {BEFORE: 100})
    qbr(client, date(2026, 1, 10), local(2026, 1, 10, 10))
    qbr(client, date(2026, 2, 10), local(2026, 2, 10, 10))
    assert value("qbr_completion", member) == Decimal(100)


def test_a_customer_moved_between_csms_counts_for_its_current_csm(member, teammate):
    client = customer(member, {BEFORE: 1_000, MID: 1_200})
    customer(teammate, {BEFORE: 1_000})
    nps(client, 10, at=local(2026, 2, 1, 9))
    Customer.objects.filter(pk=client.pk).update(csm=teammate)
    for key in ("nrr", "nps"):
        results = evaluate(key, user_ids=[member.pk, teammate.pk], **Q1)
        assert results.users[member.pk].value is None
    assert value("nrr", teammate) == Decimal(110)
    assert value("nps", teammate) == Decimal(100)


@pytest.fixture
def team_books(team, lead, member, teammate, other_member):
    """A team whose lead, member and teammate each have a book; the teammate has no data."""
    for csm, start, end in ((lead, 1_000, 900), (member, 3_000, 3_600), (other_member, 500, 0)):
        client = customer(csm, {BEFORE: start, MID: end})
        nps(client, 10, 9, 5, at=local(2026, 3, 1, 8))
        qbr(client, date(2026, 2, 1), local(2026, 2, 2, 8) if csm != lead else None)
    customer(member, {BEFORE: 2_000, date(2026, 3, 15): 2_100})
    renewals(lead, ["renewed", "churned", "pending"], date(2026, 1, 20))
    renewals(member, ["renewed"] * 3, date(2026, 3, 31))
    return team


@pytest.mark.parametrize("key", sorted(METRICS))
def test_contributions_sum_to_the_team_value(key, team_books, lead, member, teammate):
    results = evaluate(key, team_ids=[team_books.pk], user_ids=[teammate.pk], **Q1)
    team_ratio = results.teams[team_books.pk]
    points = results.contributions[team_books.pk]
    assert set(points) == {lead.pk, member.pk, teammate.pk}
    assert team_ratio == results_sum(key, [lead, member, teammate])
    assert sum(points.values()) == team_ratio.value
    assert points[teammate.pk] == 0
    # Each member's points are their value weighted by their share of the team denominator.
    for user in (lead, member):
        own = evaluate(key, user_ids=[user.pk], **Q1).users[user.pk]
        if own.denominator:
            weighted = own.denominator / team_ratio.denominator * own.value
            assert abs(points[user.pk] - weighted) < Decimal("1e-20")


def results_sum(key, users):
    users_results = evaluate(key, user_ids=[u.pk for u in users], **Q1).users
    return sum(users_results.values(), Ratio())


def test_team_values_and_contributions_in_points(team_books, lead, member):
    results = evaluate("nrr", team_ids=[team_books.pk], **Q1)
    # Lead 1,000 -> 900; member 3,000 -> 3,600 and 2,000 -> 2,100: 6,600 / 6,000.
    assert results.teams[team_books.pk].value == Decimal(110)
    assert results.contributions[team_books.pk][lead.pk] == Decimal(15)
    assert results.contributions[team_books.pk][member.pk] == Decimal(95)
    renewal = evaluate("renewal_rate", team_ids=[team_books.pk], **Q1)
    assert renewal.teams[team_books.pk] == Ratio(Decimal(4), Decimal(5))
    assert renewal.contributions[team_books.pk][lead.pk] == Decimal(20)


def test_contributions_sum_exactly_with_repeating_decimals():
    team = TeamFactory()
    users = [MembershipFactory(team=team).user for _ in range(3)]
    for user, outcomes in zip(
        users,
        (["renewed", "churned", "churned"], ["renewed"] * 2, ["renewed", "churned"]),
        strict=True,
    ):
        renewals(user, outcomes, date(2026, 2, 1))
    results = evaluate("renewal_rate", team_ids=[team.pk], **Q1)
    points = results.contributions[team.pk]
    assert results.teams[team.pk] == Ratio(Decimal(4), Decimal(7))  # 57.142857...
    assert sum(points.values()) == results.teams[team.pk].value
    assert round(points[users[1].pk], 4) == Decimal("28.5714")


@pytest.mark.parametrize("key", sorted(METRICS))
def test_queries_do_not_grow_with_the_number_of_scopes(key, django_assert_num_queries):
    def build(teams: int):
        team_ids, user_ids = [], []
        for _ in range(teams):
            team = TeamFactory()
            team_ids.append(team.pk)
            for role in (Membership.Role.LEAD, Membership.Role.MEMBER):
                user = MembershipFactory(team=team, role=role).user
                user_ids.append(user.pk)
                client = customer(user, {BEFORE: 100, MID: 110})
                nps(client, 9, at=local(2026, 2, 1, 9))
                qbr(client, date(2026, 2, 1), local(2026, 2, 1, 9))
                renewals(user, ["renewed"], date(2026, 2, 1))
        return team_ids, user_ids

    small, large = build(1), build(8)
    for team_ids, user_ids in (small, large):
        # One query for the memberships, one for the metric, whatever the number of scopes.
        with django_assert_num_queries(2):
            results = evaluate(key, team_ids=team_ids, user_ids=user_ids, **Q1)
        assert all(ratio.value is not None for ratio in results.teams.values())
    lone = UserFactory()
    with django_assert_num_queries(1):
        evaluate(key, user_ids=[lone.pk, *large[1]], **Q1)


def test_an_annual_window_is_still_one_query(member, django_assert_num_queries):
    customer(member, {BEFORE: 100})
    with django_assert_num_queries(1):
        ratio = evaluate(
            "qbr_completion", user_ids=[member.pk], start=date(2025, 1, 1), end=date(2025, 12, 31)
        ).users[member.pk]
    # Active from June 1st: expected in Q2 (its part ends June 30), Q3 and Q4; never done.
    assert ratio == Ratio(Decimal(0), Decimal(3))
