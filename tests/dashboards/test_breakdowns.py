"""The accounts behind a metric value through the API (JSON and CSV) and the customer page:
what they show, who may see them (404 for anyone else) and what bad parameters answer."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from metrics.models import NpsResponse, Renewal
from metrics.registry import evaluate
from tests.api_support import error, field_errors
from tests.builders import (
    Q4_START,
    TODAY,
    GoalFactory,
    calculated_goal,
    customer,
    local,
    qbr,
    renewals,
)

pytestmark = pytest.mark.django_db

BEFORE = dt.date(2026, 6, 1)
MID = dt.date(2026, 10, 20)
WINDOW = {"start_date": "2026-10-01", "end_date": "2026-11-16"}


@pytest.fixture
def accounts(member, teammate, other_member):
    """Mo's book: an expansion, a churn (with a formula-like name), a new logo; Tia's: one
    account held flat; Otto (another team) has one too."""
    grow = customer(member, {BEFORE: 100_000, MID: 130_000}, name="Grow Co")
    gone = customer(member, {BEFORE: 50_000, MID: 0}, name="=HYPERLINK(evil)", external_id="-1+2")
    new = customer(member, {MID: 20_000}, name="Newco")
    flat = customer(teammate, {BEFORE: 50_000}, name="Flat Ltd")
    other = customer(other_member, {BEFORE: 10_000}, name="Elsewhere")
    NpsResponse.objects.create(
        customer=gone,
        respondent="cfo@gone.example",
        responded_at=local(2026, 10, 5, 10),
        score=3,
        comment="@SUM(A1) pricing went up",
    )
    qbr(grow, dt.date(2026, 10, 10), local(2026, 10, 10, 15))
    renewals(member, ["churned"], dt.date(2026, 10, 30))
    return {"grow": grow, "gone": gone, "new": new, "flat": flat, "other": other}


def get_breakdown(client, metric="nrr", **params):
    return client.get(f"/api/metrics/{metric}/breakdown/", {**WINDOW, **params})


def test_a_team_breakdown_lists_its_accounts_adding_up_to_the_value(
    client, lead, team, accounts, member
):
    client.force_login(lead)
    response = get_breakdown(client, team=team.pk)
    assert response.status_code == 200, response.content
    body = response.json()
    engine = evaluate("nrr", team_ids=[team.pk], start=Q4_START, end=TODAY).teams[team.pk]
    assert Decimal(body["value"]) == engine.value.quantize(Decimal("0.0001")) == Decimal("90")
    assert (body["scope"], body["base"]) == (
        {"type": "team", "id": team.pk, "name": "Enterprise"},
        "100.0000",
    )
    rows = body["rows"]
    assert [(row["customer_name"], row["kind"], row["points"]) for row in rows] == [
        ("=HYPERLINK(evil)", "churn", "-25.0000"),
        ("Grow Co", "expansion", "15.0000"),
        ("Flat Ltd", "unchanged", "0.0000"),
    ]
    assert Decimal(body["base"]) + sum(Decimal(row["points"]) for row in rows) == Decimal(
        body["value"]
    )
    assert rows[0]["url"] == f"/customers/{accounts['gone'].pk}/"
    assert (rows[0]["csm_name"], rows[0]["arr_start"], rows[0]["arr_end"]) == (
        "Mo Member",
        "50000.00",
        "0.00",
    )
    assert [(row["customer_name"], row["counted"], row["points"]) for row in body["apart"]] == [
        ("Newco", False, None)
    ]


def test_each_metric_answers_its_own_rows(client, member, accounts):
    client.force_login(member)
    nps = get_breakdown(client, "nps", user=member.pk).json()
    assert [(r["kind"], r["latest_score"], r["comment"]) for r in nps["rows"]] == [
        ("detractor", 3, "@SUM(A1) pricing went up")
    ]
    assert nps["value"] == "-100.0000"
    renewal = get_breakdown(client, "retention_rate", user=member.pk).json()
    assert (renewal["metric_name"], [r["kind"] for r in renewal["rows"]]) == (
        "renewal_rate",
        ["churned"],
    )
    qbrs = get_breakdown(client, "qbr_completion", user=member.pk).json()
    assert {r["customer_name"]: (r["kind"], r["qbrs_held"]) for r in qbrs["rows"]} == {
        "Grow Co": ("held", 1),
        "Newco": ("not_yet_due", 0),
    }  # the churned account is not expected; Q4 is not over, so nothing is missed yet


def test_the_csv_export_neutralises_formula_cells_and_sums_to_the_value(
    client, lead, team, accounts
):
    client.force_login(lead)
    response = get_breakdown(client, team=team.pk, format="csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="nrr-enterprise-2026-10-01-2026-11-16.csv"'
    )
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [line["customer"] for line in lines][1:] == [
        "'=HYPERLINK(evil)",
        "Grow Co",
        "Flat Ltd",
        "Newco",
    ]
    assert lines[1]["external_id"] == "'-1+2"
    assert lines[1]["points"] == "-25.0000"  # a number stays a number
    assert lines[0]["movement"] == "starting point"
    counted = [line for line in lines if line["counted"] == "yes"]
    assert sum(Decimal(line["points"]) for line in counted) == Decimal("90.0000")
    assert (lines[-1]["movement"], lines[-1]["points"]) == ("new", "")

    nps = get_breakdown(client, "nps", team=team.pk, format="csv").content.decode()
    assert "'@SUM(A1) pricing went up" in nps


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"user", "team"}),
        ({"user": "1", "team": "1"}, {"user", "team"}),
        ({"user": "x"}, {"user"}),
        ({"user": ""}, {"user"}),
        ({"user": "1", "start_date": "2026-13-01"}, {"start_date"}),
        ({"user": "1", "start_date": "2026-11-02", "end_date": "2026-11-01"}, {"end_date"}),
        ({"user": "1", "start_date": "2020-01-01", "end_date": "2026-01-01"}, {"end_date"}),
        ({"user": "1", "format": "xlsx"}, {"format"}),
    ],
)
def test_bad_parameters_are_400_naming_the_field(client, member, params, fields):
    client.force_login(member)
    response = client.get("/api/metrics/nrr/breakdown/", {**WINDOW, **params})
    assert set(field_errors(response)) == fields


def test_missing_dates_are_named(client, member):
    client.force_login(member)
    response = client.get("/api/metrics/nrr/breakdown/", {"user": member.pk})
    assert set(field_errors(response)) == {"start_date", "end_date"}


def test_unknown_metric_and_invisible_scopes_are_404(client, member, other_team, other_member):
    client.force_login(member)
    assert error(get_breakdown(client, "arr_growth", user=member.pk))["code"] == "not_found"
    assert get_breakdown(client, team=other_team.pk).status_code == 404
    assert get_breakdown(client, user=other_member.pk).status_code == 404
    assert get_breakdown(client, user=999_999).status_code == 404
    response = get_breakdown(client, team=other_team.pk, format="csv")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")


def test_the_breakdown_is_in_the_openapi_schema(client, member):
    client.force_login(member)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/metrics/{metric_name}/breakdown/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "metric_name",
        "user",
        "team",
        "start_date",
        "end_date",
        "format",
    }
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}


# --- the customer page ---------------------------------------------------------------------


def test_the_customer_page_shows_history_records_and_the_goals_it_counts_in(
    client, lead, team, quarter, member, accounts
):
    team_goal = calculated_goal(team, quarter, name="Team NRR")
    own_goal = calculated_goal(team, quarter, owner=member, name="Mo NRR", metric_key="grr")
    calculated_goal(team, quarter, owner=accounts["flat"].csm, name="Tia NRR")  # not Mo's book
    gone = accounts["gone"]
    qbr(gone, dt.date(2026, 7, 15))
    Renewal.objects.create(customer=gone, due_date=dt.date(2026, 10, 15), outcome="churned")
    client.force_login(lead)
    page = client.get(f"/customers/{gone.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "=HYPERLINK(evil)" in html and "-1+2" in html
    assert 'data-plotly-figure="arr-chart-data"' in html
    assert "$0" in html  # ARR today: churned
    assert "@SUM(A1) pricing went up" in html
    assert "Churned" in html and "not held" in html
    assert f'href="/people/{member.pk}/"' in html  # the lead opens the CSM's page
    goals = page.context["page"].goals
    assert {goal.pk for goal in goals} == {team_goal.pk, own_goal.pk}


def test_a_teammate_reads_the_customer_page_without_a_link_to_the_csm_page(
    client, teammate, member
):
    account = customer(member, {BEFORE: 1_000}, name="Mate's view")
    client.force_login(teammate)
    html = client.get(f"/customers/{account.pk}/").content.decode()
    assert "Mo Member" in html and f'href="/people/{member.pk}/"' not in html


def test_unknown_customer_ids_are_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/customers/999999/").status_code == 404
    assert client.get(f"/customers/{2**63}/").status_code == 404


# --- the goal page: loaded on demand -------------------------------------------------------


def test_the_goal_page_offers_the_breakdown_and_loads_it_on_demand(
    client, lead, team, quarter, accounts
):
    goal = calculated_goal(team, quarter, name="Team NRR")
    client.force_login(lead)
    page = client.get(f"/goals/{goal.pk}/").content.decode()
    assert 'id="breakdown-open"' in page and f'hx-get="/goals/{goal.pk}/breakdown/"' in page
    assert "Grow Co" not in page  # no account is read while the page renders
    assert (
        f"/api/metrics/nrr/breakdown/?team={team.pk}&amp;start_date=2026-10-01"
        "&amp;end_date=2026-11-16&amp;format=csv"
    ) in page
    part = client.get(f"/goals/{goal.pk}/breakdown/", headers={"HX-Request": "true"})
    html = part.content.decode()
    assert part.status_code == 200
    assert f'<a href="/customers/{accounts["gone"].pk}/">=HYPERLINK(evil)</a>' in html
    assert 'id="breakdown-total"><strong>90.00</strong>' in html
    assert "Newco" in html and "New logos" in html


def test_the_goal_breakdown_is_a_constant_number_of_queries(
    client, lead, team, quarter, member, django_assert_max_num_queries
):
    goal = calculated_goal(team, quarter, name="Team NRR")
    client.force_login(lead)
    url = f"/goals/{goal.pk}/breakdown/"
    customer(member, {BEFORE: 1_000, MID: 900})
    client.get(url)
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    for _ in range(60):
        customer(member, {BEFORE: 1_000, MID: 1_100})
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert 'id="breakdown-others"' in html  # beyond 50 rows the rest is one summed line


def test_who_may_open_a_goal_breakdown(client, team, quarter, member, lead, outsider, other_member):
    from goals.permissions import goal_share

    goal = calculated_goal(team, quarter, owner=member, name="Mo NRR", visibility="private")
    goal_share(goal=goal, users=[outsider])
    url = f"/goals/{goal.pk}/breakdown/"
    client.force_login(lead)
    assert client.get(url).status_code == 200
    client.force_login(outsider)  # sees the shared goal, not the CSM's accounts
    assert client.get(url).status_code == 404
    assert (
        "shown to the team's members and leads" in client.get(f"/goals/{goal.pk}/").content.decode()
    )
    client.force_login(other_member)
    assert client.get(url).status_code == 404
    task_goal = GoalFactory(team=team, period=quarter, name="Tasks", goal_type="task")
    client.force_login(lead)
    assert client.get(f"/goals/{task_goal.pk}/breakdown/").status_code == 404


@pytest.mark.parametrize("metric", ["nrr", "grr", "renewal_rate", "nps", "qbr_completion"])
def test_the_answer_is_what_the_schema_serializer_writes(metric, team, lead, accounts):
    import json

    from dashboards import customers as selectors
    from dashboards.api import BreakdownSerializer, breakdown_data

    scope = selectors.team_scope(lead, team.pk)
    result = selectors.scope_breakdown(metric, scope, start=Q4_START, end=TODAY)
    documented = BreakdownSerializer(result, context={"result": result}).data
    assert result.rows
    assert json.loads(json.dumps(breakdown_data(result))) == json.loads(json.dumps(documented))
