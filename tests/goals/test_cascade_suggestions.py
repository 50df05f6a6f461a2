"""Cascading a team goal of every metric with the suggested rows submitted unchanged, as a
browser sends the page: every ticked row is created, members without data are unticked with
a prompt, nobody is told of a win at creation, and progress reads sensibly (frozen time)."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from goals import recalc
from goals.models import Goal
from goals.services import goal_create, period_create
from metrics.models import Renewal
from notifications.models import Notification
from tests.builders import D, MembershipFactory, customer, local, nps, qbr
from tests.html_forms import form_with_button

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]
OCTOBER, JANUARY = date(2025, 10, 1), date(2026, 1, 1)
BUTTON = "Create the ticked goals"


@pytest.fixture(autouse=True)
def valentines_day():
    with time_machine.travel("2026-02-14 12:00Z", tick=False):
        yield


@pytest.fixture
def elena(team):
    """A new CSM without customers yet."""
    return MembershipFactory(team=team, user__email="elena@example.com", user__name="Elena").user


@pytest.fixture
def quarters(db):
    period_create(name="Q4 2025", period_type="quarterly", start=OCTOBER, end=date(2025, 12, 31))
    return period_create(
        name="Q1 2026", period_type="quarterly", start=JANUARY, end=date(2026, 3, 31)
    )


def renewal(client, due: date, outcome: str) -> None:
    Renewal.objects.create(customer=client, due_date=due, outcome=outcome)


@pytest.fixture
def books(lead, member, teammate):
    """Mo is strong last quarter (NRR 105, every renewal, NPS 75, every QBR); Tia weak (NRR 80,
    half her renewals, NPS 0, no QBR); Lena steady (NRR 100) with no renewals or responses
    last quarter."""
    mo = [customer(member, {OCTOBER: 1000}), customer(member, {OCTOBER: 1000})]
    customer(member, {OCTOBER: 1000, date(2025, 12, 1): 1100})
    tia = customer(teammate, {OCTOBER: 1000, date(2025, 11, 15): 800})
    lena = customer(lead, {OCTOBER: 2000})
    for client in mo:
        renewal(client, date(2025, 11, 10), "renewed")
        renewal(client, date(2026, 2, 1), "renewed")
        qbr(client, date(2025, 11, 1), local(2025, 11, 3, 10))
        qbr(client, date(2026, 1, 20), local(2026, 1, 20, 10))
    renewal(tia, date(2025, 11, 10), "renewed")
    renewal(customer(teammate, {OCTOBER: 500}), date(2025, 11, 20), "churned")
    renewal(tia, date(2026, 2, 3), "renewed")
    renewal(lena, date(2026, 2, 5), "churned")
    nps(mo[0], 9, 9, 10, 7, at=local(2025, 11, 5, 9))
    nps(mo[0], 9, 10, at=local(2026, 1, 15, 9))
    nps(tia, 5, 9, at=local(2025, 11, 5, 9))
    nps(tia, 8, at=local(2026, 1, 15, 9))
    nps(lena, 10, at=local(2026, 1, 15, 9))


TEAM_GOALS = {
    "nrr": {"target": "108", "stretch_target": "112"},
    "grr": {"direction": "maintain", "target": "90", "stretch_target": "98"},
    "renewal_rate": {"target": "95"},
    "nps": {"target": "60", "stretch_target": "70"},
    "qbr_completion": {"target": "90", "stretch_target": "100"},
}


@pytest.mark.parametrize("metric_key", list(TEAM_GOALS))
def test_every_metric_cascades_with_the_suggested_rows_unchanged(
    client,
    quarters,
    team,
    lead,
    member,
    teammate,
    elena,
    books,
    metric_key,
    django_capture_on_commit_callbacks,
):
    parent = goal_create(
        period=quarters,
        team=team,
        name=f"Team {metric_key}",
        goal_type="metric",
        metric_key=metric_key,
        created_by=lead,
        **TEAM_GOALS[metric_key],
    )
    client.force_login(lead)
    page = client.get(f"/goals/{parent.pk}/cascade/")
    assert "when every member reaches" in page.text  # the rule is stated
    form = form_with_button(page.text, BUTTON)
    ticked = {name[1:].split("_")[0] for name, _ in form.fields if name.endswith("_include")}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/goals/{parent.pk}/cascade/", form.data())
    assert response.status_code == 302, [
        str(error) for field in response.context["form"] for error in field.errors
    ]
    children = {goal.owner: goal for goal in Goal.objects.filter(parent=parent)}
    assert {str(owner.pk) for owner in children} == ticked
    assert elena not in children  # no data: unticked, with a prompt
    assert "Elena" in page.text and ("enter a baseline" in page.text or "tick the row" in page.text)

    recalc.recalculate_goals([goal.pk for goal in children.values()])
    # Nobody is congratulated for a goal the suggestion started past its target.
    assert not Notification.objects.filter(kind="achievement").exists()


def test_suggestions_keep_each_members_side_of_the_team_target(
    client, quarters, team, lead, member, teammate, elena, books
):
    parent = goal_create(
        period=quarters,
        team=team,
        name="Renewals",
        goal_type="metric",
        metric_key="renewal_rate",
        baseline="75",
        target="95",
        created_by=lead,
    )
    client.force_login(lead)
    page = client.get(f"/goals/{parent.pk}/cascade/")
    rows = {row.member: row for row in page.context["form"].rows}
    # Mo renewed everything last quarter: he keeps at or above 95 % rather than "increase".
    assert (rows[member].aim, rows[member].baseline, rows[member].suggested) == (
        "floor",
        D(100),
        True,
    )
    # Tia renewed half: she increases from 50 % to the team's 95 %.
    assert (rows[teammate].aim, rows[teammate].baseline, rows[teammate].target) == (
        "increase",
        D(50),
        D(95),
    )
    # Lena had no renewal due last quarter: no baseline, unticked, told what to enter.
    assert not rows[lead].suggested
    assert rows[lead].prompt == (
        "No Renewal rate data for Lena Lead over the previous period (2025-10-01 to "
        "2025-12-31): enter a baseline to include them."
    )
    # The share of the book (decided renewals this quarter) is each goal's weight.
    assert rows[member].weight + rows[teammate].weight + rows[lead].weight == Decimal(100)


def test_a_qbr_cascade_counts_from_zero_for_everyone(
    client, quarters, team, lead, member, teammate, elena, books, django_capture_on_commit_callbacks
):
    parent = goal_create(
        period=quarters,
        team=team,
        name="QBRs",
        goal_type="metric",
        metric_key="qbr_completion",
        target="90",
        created_by=lead,
    )
    client.force_login(lead)
    form = form_with_button(client.get(f"/goals/{parent.pk}/cascade/").text, BUTTON)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/goals/{parent.pk}/cascade/", form.data())
    children = {goal.owner: goal for goal in Goal.objects.filter(parent=parent)}
    recalc.recalculate_goals([goal.pk for goal in children.values()])
    progress = {owner: Goal.objects.get(pk=goal.pk).progress for owner, goal in children.items()}
    # Mo held two of his three customers' QBRs this quarter (66.7 %, 74 % of the way to 90 %),
    # Tia and Lena none yet (0 %): no -2941 % from last quarter's baseline of 100 %.
    assert progress == {member: D("74.0741"), teammate: D(0), lead: D(0)}
    assert Goal.objects.get(pk=children[member].pk).status == "on_track"  # 50 % expected
    assert not Notification.objects.filter(kind="achievement").exists()
