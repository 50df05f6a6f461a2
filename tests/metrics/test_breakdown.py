"""Breakdowns: the accounts behind a metric value add up to the value the engine gives.

Every test also runs on SQLite (`sqlite_parity`).
"""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from metrics.breakdown import QUANTUM, breakdown
from metrics.models import NpsResponse
from metrics.registry import METRICS, evaluate
from tests.builders import MembershipFactory, TeamFactory, customer, local, nps, qbr, renewals

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]

Q1 = {"start": date(2026, 1, 1), "end": date(2026, 3, 31)}
BEFORE = date(2025, 6, 1)
MID = date(2026, 2, 10)


def assert_adds_up(key, user_ids, **window):
    """The rows' ratio is the engine's, and base + the rows' points is its value (4 decimals)."""
    window = window or Q1
    found = breakdown(key, user_ids=user_ids, **window)
    engine = evaluate(key, user_ids=user_ids, **window).users
    numerator = sum((engine[pk].numerator for pk in user_ids), Decimal(0))
    denominator = sum((engine[pk].denominator for pk in user_ids), Decimal(0))
    assert found.ratio.numerator == numerator
    assert found.ratio.denominator == denominator
    if denominator:
        value = (numerator / denominator * 100).quantize(QUANTUM)
        assert found.value == value
        assert found.base + sum(row.points for row in found.rows) == value
        assert all(row.points == row.points.quantize(QUANTUM) for row in found.rows)
    else:
        assert found.value is None
    return found


def test_nrr_and_grr_rows_classify_and_move_the_figure(member):
    grow = customer(member, {BEFORE: 1_000_000, MID: 1_300_000}, name="Grow")
    shrink = customer(member, {BEFORE: 500_000, MID: 450_000}, name="Shrink")
    same = customer(member, {BEFORE: 400_000}, name="Same")
    gone = customer(member, {BEFORE: 100_000, MID: 0}, name="Gone")
    new = customer(member, {MID: 70_000}, name="New logo")
    customer(member, {date(2024, 1, 1): 5_000, date(2024, 6, 1): 0}, name="Long gone")

    nrr = assert_adds_up("nrr", [member.pk])
    assert nrr.value == Decimal("107.5000")
    assert [(row.customer_id, row.kind, row.points) for row in nrr.rows] == [
        (grow.pk, "expansion", Decimal("15.0000")),
        (gone.pk, "churn", Decimal("-5.0000")),
        (shrink.pk, "contraction", Decimal("-2.5000")),
        (same.pk, "unchanged", Decimal("0.0000")),
    ]
    assert [(row.customer_id, row.kind, row.arr_end) for row in nrr.apart] == [
        (new.pk, "new", Decimal("70000.00"))
    ]
    assert nrr.rows[0].arr_start == Decimal("1000000.00")
    assert nrr.rows[0].arr_change == Decimal("300000.00")

    grr = assert_adds_up("grr", [member.pk])
    assert grr.value == Decimal("92.5000")
    assert [(row.customer_id, row.points) for row in grr.rows][:2] == [
        (gone.pk, Decimal("-5.0000")),
        (shrink.pk, Decimal("-2.5000")),
    ]
    assert {row.customer_id: row.points for row in grr.rows}[grow.pk] == 0


def test_a_customer_that_churns_and_wins_back_in_the_window(member):
    # Churned mid-window and bought again before its end: in the cohort at its end ARR.
    back = customer(
        member, {BEFORE: 1_000, date(2026, 1, 15): 0, date(2026, 3, 1): 800}, name="Back"
    )
    # Churned before the window and won back in it: a new logo, outside the cohort.
    won = customer(member, {BEFORE: 2_000, date(2025, 12, 1): 0, MID: 3_000}, name="Won")
    customer(member, {BEFORE: 3_000}, name="Steady")
    nrr = assert_adds_up("nrr", [member.pk])
    assert nrr.value == Decimal("95.0000")
    row = next(row for row in nrr.rows if row.customer_id == back.pk)
    assert (row.kind, row.arr_start, row.arr_end, row.points) == (
        "contraction",
        Decimal("1000.00"),
        Decimal("800.00"),
        Decimal("-5.0000"),
    )
    assert [(row.customer_id, row.kind) for row in nrr.apart] == [(won.pk, "new")]
    assert_adds_up("grr", [member.pk])
    # The window that ends while it is churned counts it as churn.
    churned = assert_adds_up("nrr", [member.pk], start=Q1["start"], end=date(2026, 2, 1))
    assert {row.customer_id: row.kind for row in churned.rows}[back.pk] == "churn"


def test_points_that_do_not_divide_evenly_still_add_up(member):
    for arr in (1_000, 1_000, 1_000):
        customer(member, {BEFORE: arr, MID: arr + 1})
    customer(member, {BEFORE: 997, MID: 0})
    found = assert_adds_up("nrr", [member.pk])
    assert found.value == Decimal("75.1313")  # 3003 / 3997 x 100, to 4 decimals


def test_renewal_rows_are_the_decided_renewals_and_the_pending_apart(member):
    renewed = renewals(member, ["renewed"] * 3, date(2026, 2, 1))
    churned = renewals(member, ["churned"], date(2026, 3, 1))
    pending = renewals(member, ["pending"], date(2026, 3, 20))
    renewals(member, ["churned"], date(2026, 4, 2))  # due after the window
    found = assert_adds_up("renewal_rate", [member.pk])
    assert found.value == Decimal("75.0000")
    assert (found.rows[0].customer_id, found.rows[0].kind, found.rows[0].points) == (
        churned[0].pk,
        "churned",
        Decimal("-25.0000"),
    )
    assert {row.customer_id for row in found.rows[1:]} == {client.pk for client in renewed}
    assert [(row.customer_id, row.kind, row.due_date, row.points) for row in found.apart] == [
        (pending[0].pk, "pending", date(2026, 3, 20), None)
    ]


def test_nps_rows_classify_each_customer_by_its_latest_response(member):
    fan = customer(member, name="Fan")
    nps(fan, 3, at=local(2026, 1, 5, 9))
    NpsResponse.objects.create(
        customer=fan,
        respondent="cto@fan.example",
        responded_at=local(2026, 3, 2, 9),
        score=10,
        comment="=HYPERLINK(1) great onboarding",
    )
    critic = customer(member, name="Critic")
    nps(critic, 2, 8, at=local(2026, 2, 3, 12))
    nps(customer(member), 10, at=local(2025, 12, 30, 12))  # before the window
    found = assert_adds_up("nps", [member.pk])
    assert found.value == Decimal("-25.0000")  # (1 - 2) / 4
    by_customer = {row.customer_id: row for row in found.rows}
    assert set(by_customer) == {fan.pk, critic.pk}
    fan_row = by_customer[fan.pk]
    assert (fan_row.kind, fan_row.promoters, fan_row.detractors, fan_row.latest_score) == (
        "promoter",
        1,
        1,
        10,
    )
    assert fan_row.comment == "=HYPERLINK(1) great onboarding"
    assert fan_row.points == 0
    assert (by_customer[critic.pk].passives, by_customer[critic.pk].points) == (1, Decimal(-25))


def test_qbr_rows_say_held_missed_and_not_yet_due(member):
    active = {BEFORE: 10_000}
    held = customer(member, active, name="Held")
    qbr(held, date(2026, 2, 1), local(2026, 2, 3, 10))
    missed = customer(member, active, name="Missed")
    qbr(missed, date(2026, 3, 1))
    later = customer(member, active, name="Later")
    customer(member, {BEFORE: 10_000, date(2026, 1, 20): 0}, name="Churned")  # not expected
    # Q1 is over: nothing is "not yet due".
    found = assert_adds_up("qbr_completion", [member.pk])
    assert {row.customer_id: row.kind for row in found.rows} == {
        held.pk: "held",
        missed.pk: "missed",
        later.pk: "missed",
    }
    # A window over Q1 and into Q2: Q2's part is not over, so a QBR not held in it is not yet due.
    qbr(later, date(2026, 4, 10), local(2026, 4, 11, 10))
    spring = assert_adds_up("qbr_completion", [member.pk], start=Q1["start"], end=date(2026, 5, 15))
    rows = {row.customer_id: row for row in spring.rows}
    assert (rows[held.pk].held, rows[held.pk].not_yet_due) == (1, 1)
    assert (rows[later.pk].held, rows[later.pk].missed, rows[later.pk].kind) == (1, 1, "missed")
    assert (rows[missed.pk].missed, rows[missed.pk].not_yet_due) == (1, 1)


def test_an_empty_book_has_no_value_and_no_rows(member):
    for key in METRICS:
        found = assert_adds_up(key, [member.pk])
        assert (found.rows, found.apart, found.value) == ([], [], None)


def test_a_random_team_adds_up_for_every_metric_and_window():
    rng = random.Random(19)
    team = TeamFactory(name="Random")
    members = [MembershipFactory(team=team).user for _ in range(3)]
    for number in range(40):
        csm = members[number % 3]
        history = {}
        day = date(2025, 10, 1) + timedelta(days=rng.randrange(60))
        for _ in range(rng.randrange(1, 5)):
            cents = Decimal(rng.randrange(100)) / 100
            history[day] = rng.choice([0, rng.randrange(1_000, 90_000)]) + cents
            day += timedelta(days=rng.randrange(10, 80))
        client = customer(csm, {d: str(v) for d, v in history.items()})
        nps(client, *rng.sample(range(11), rng.randrange(4)), at=local(2026, 1, 1 + number % 28))
        if rng.random() < 0.7:
            qbr(client, date(2026, 2, 1), local(2026, 2, 1 + number % 20, 10))
        renewals(csm, [rng.choice(["renewed", "churned", "pending"])], date(2026, 3, 1))
    user_ids = [user.pk for user in members]
    for key in METRICS:
        for window in (Q1, {"start": date(2026, 2, 1), "end": date(2026, 5, 20)}):
            assert_adds_up(key, user_ids, **window)
            team_ratio = evaluate(key, team_ids=[team.pk], **window).teams[team.pk]
            assert breakdown(key, user_ids=user_ids, **window).ratio == team_ratio


@pytest.mark.parametrize("key", sorted(METRICS))
def test_one_query_per_metric_whatever_the_number_of_customers(
    key, member, django_assert_num_queries
):
    def build(count):
        for _ in range(count):
            client = customer(member, {BEFORE: 1_000, MID: 900})
            nps(client, 9, at=local(2026, 2, 1, 9))
            qbr(client, date(2026, 2, 1), local(2026, 2, 2, 9))
        renewals(member, ["renewed", "churned"] * count, date(2026, 2, 1))

    build(2)
    with django_assert_num_queries(1):
        few = breakdown(key, user_ids=[member.pk], **Q1)
    build(30)
    with django_assert_num_queries(1):
        many = breakdown(key, user_ids=[member.pk], **Q1)
    assert len(many.rows) > len(few.rows)
