"""Inputs that used to crash (a 500 or a traceback, nothing written) or slip past the rules the
pages apply: each is refused with a clear error naming what was wrong, and nothing changes."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from goals.models import Goal, GoalPeriod
from goals_project.people.tokens import api_token_create
from metrics.models import ArrRecord, Customer, NpsResponse
from tests.builders import GoalFactory, customer

pytestmark = pytest.mark.django_db

HUGE_ARR = ["1e28", "1e309", "9" * 29, "-1e28", "1E+400000000"]


@pytest.fixture
def acme(member):
    return customer(member, {dt.date(2026, 1, 1): 1000}, external_id="ACME", name="Acme")


@pytest.fixture
def importer(admin_user):
    return api_token_create(user=admin_user, name="import", scopes=["import"])[1]


def snapshot():
    return (
        list(ArrRecord.objects.order_by("pk").values()),
        list(NpsResponse.objects.order_by("pk").values()),
        list(Customer.objects.order_by("pk").values()),
    )


def post_json(client, url, body, secret, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        url,
        data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        **extra,
    )


def import_rows(client, secret, kind, rows):
    return post_json(client, f"/api/data/{kind}/", rows, secret)


def import_errors(response) -> list[tuple[int, str, str]]:
    assert response.status_code == 400, response.content
    return [(e["row"], e["field"], e["message"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("amount", HUGE_ARR)
def test_the_command_refuses_an_arr_too_large_to_store(tmp_path, monkeypatch, acme, amount):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "arr.csv").write_text(
        f"customer_external_id,effective_date,arr\r\nACME,2026-02-01,{amount}\r\n"
    )
    before = snapshot()
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_data", "arr", "arr.csv", stderr=err, stdout=io.StringIO())
    line = err.getvalue().splitlines()[0]
    assert line.startswith("arr.csv:2: arr: ")
    assert "too large" in line or "negative" in line
    assert snapshot() == before


@pytest.mark.sqlite_parity
@pytest.mark.parametrize("amount", ["0e999999999999", "0E-400000000", "12e2"])
def test_an_amount_written_with_an_exponent_is_stored_as_its_value(
    tmp_path, monkeypatch, acme, amount
):
    # A zero with a huge exponent is 0 (churned), not a number too large for the column.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "arr.csv").write_text(
        f"customer_external_id,effective_date,arr\r\nACME,2026-02-01,{amount}\r\n"
    )
    call_command("import_data", "arr", "arr.csv", stderr=io.StringIO(), stdout=io.StringIO())
    stored = ArrRecord.objects.get(customer=acme, effective_date=dt.date(2026, 2, 1)).arr
    assert stored == Decimal(amount)
    assert str(stored) == str(Decimal(amount).quantize(Decimal("0.01")))


@pytest.mark.parametrize("amount", HUGE_ARR[:3])
def test_the_admin_upload_refuses_an_arr_too_large_to_store(
    admin_client, acme, amount, django_capture_on_commit_callbacks
):
    before = snapshot()
    upload = SimpleUploadedFile(
        "arr.csv",
        f"customer_external_id,effective_date,arr\r\nACME,2026-02-01,{amount}\r\n".encode(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:metrics_import", kwargs={"kind": "arr"}), {"file": upload}
        )
    page = admin_client.get(response.url)  # the import's page, once it has run
    assert page.status_code == 200
    assert "arr.csv:2: arr: " in page.text and "too large" in page.text
    assert snapshot() == before


@pytest.mark.parametrize("amount", [*HUGE_ARR[:3], 1e28, 10**29])
def test_the_api_refuses_an_arr_too_large_to_store(client, importer, acme, amount):
    before = snapshot()
    # The amount as a JSON number, exactly as written (1e309 is no float, 10**29 no int64).
    number = amount if isinstance(amount, str) else json.dumps(amount)
    body = f'[{{"customer_external_id": "ACME", "effective_date": "2026-02-01", "arr": {number}}}]'

    response = import_rows(client, importer, "arr", body)
    [(row, field, message)] = import_errors(response)
    assert (row, field) == (1, "arr")
    assert "too large" in message
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("arr", "١٠٠"),  # Arabic-Indic digits: not the 100 a person meant to type
        ("arr", "1_000"),
        ("arr", "１００"),  # full-width digits
        ("effective_date", "٢٠٢٦-٠٢-٠١"),
    ],
)
def test_imports_take_ascii_digits_only(client, importer, acme, field, value):
    row = {"customer_external_id": "ACME", "effective_date": "2026-02-01", "arr": "100"}
    row[field] = value
    before = snapshot()
    [(number, named, _)] = import_errors(import_rows(client, importer, "arr", [row]))
    assert (number, named) == (1, field)
    assert snapshot() == before


@pytest.mark.parametrize("score", ["١٠", "1_0", "９"])
def test_nps_scores_take_ascii_digits_only(client, importer, acme, score):
    row = {
        "customer_external_id": "ACME",
        "respondent": "cfo@acme.example",
        "responded_at": "2026-02-01",
        "score": score,
    }
    [(number, named, _)] = import_errors(import_rows(client, importer, "nps", [row]))
    assert (number, named) == (1, "score")


def test_arr_and_nps_dates_far_in_the_future_are_refused(client, importer, acme):
    far = (dt.date.today() + dt.timedelta(days=3 * 366)).isoformat()
    arr = [{"customer_external_id": "ACME", "effective_date": far, "arr": "100"}]
    [(_, field, message)] = import_errors(import_rows(client, importer, "arr", arr))
    assert field == "effective_date" and "future" in message
    nps = [
        {
            "customer_external_id": "ACME",
            "respondent": "cfo@acme.example",
            "responded_at": far,
            "score": 9,
        }
    ]
    [(_, field, message)] = import_errors(import_rows(client, importer, "nps", nps))
    assert field == "responded_at" and "future" in message
    assert not NpsResponse.objects.exists()


def test_the_admin_form_applies_the_import_rules(admin_client, acme):
    far = dt.date.today() + dt.timedelta(days=3 * 366)
    page = admin_client.post(
        reverse("admin:metrics_arrrecord_add"),
        {"customer": acme.pk, "effective_date": far.isoformat(), "arr": "100"},
    )
    assert page.status_code == 200
    assert "future" in page.text
    assert not ArrRecord.objects.filter(effective_date=far).exists()


def test_a_lone_surrogate_in_an_import_is_refused(client, importer, acme):
    body = (
        '[{"customer_external_id": "ACME", "respondent": "x\\ud800y", '
        '"responded_at": "2026-02-01", "score": 9}]'
    )
    before = snapshot()
    response = import_rows(client, importer, "nps", body)
    assert response.status_code == 400
    assert "surrogate" in json.dumps(response.json())
    assert snapshot() == before


def test_a_lone_surrogate_in_a_goal_name_is_refused(client, lead, quarter):
    secret = api_token_create(user=lead, name="rw", scopes=["read", "write"])[1]
    body = json.dumps(
        {
            "period": quarter.pk,
            "team": lead.membership.team_id,
            "name": "PLACEHOLDER",
            "goal_type": "task",
            "task_count_target": 3,
        }
    ).replace("PLACEHOLDER", "x\\udc80y")
    response = post_json(client, "/api/goals/", body, secret)
    assert response.status_code == 400
    assert "lone surrogate" in response.json()["detail"]
    assert not Goal.objects.exists()


NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "url", ["/api/data/arr/", "/api/goals/", "/api/goal-periods/", "/api/goals/{goal}/check-ins/"]
)
def test_deeply_nested_json_is_a_400(client, admin_user, member, quarter, url):
    goal = GoalFactory(period=quarter, team=member.membership.team, owner=member)
    secret = api_token_create(user=admin_user, name="all", scopes=["read", "write", "import"])[1]
    response = post_json(client, url.format(goal=goal.pk), NESTED, secret)
    assert response.status_code == 400
    body = response.json()
    assert "JSON" in body["detail"]


@pytest.mark.parametrize("start", ["0001-01-01", "9999-01-01"])
def test_a_period_at_the_edge_of_the_calendar_is_refused(client, admin_user, start):
    secret = api_token_create(user=admin_user, name="rw", scopes=["read", "write"])[1]
    end = "0001-03-31" if start.startswith("0001") else "9999-03-31"
    response = post_json(
        client,
        "/api/goal-periods/",
        {"name": "Ancient", "period_type": "quarterly", "start_date": start, "end_date": end},
        secret,
    )
    assert response.status_code == 400
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert "out of range" in errors["start_date"]
    assert not GoalPeriod.objects.exists()


def test_the_period_form_refuses_a_period_in_year_one(admin_client):
    page = admin_client.post(
        reverse("goals:period_create"),
        {
            "name": "Ancient",
            "period_type": "quarterly",
            "start": "0001-01-01",
            "end": "0001-03-31",
            "status": "active",
        },
    )
    assert page.status_code == 200
    assert "between" in page.text
    assert not GoalPeriod.objects.exists()


# --- what the pages refuse, the API and admin refuse too (one path: the services) --------------


def new_goal(client, lead, period, **fields):
    secret = api_token_create(user=lead, name="rw", scopes=["read", "write"])[1]
    body = {
        "period": period.pk,
        "team": lead.membership.team_id,
        "name": "Launch the playbook",
        "goal_type": "milestone",
        "milestones": [{"name": "Draft"}],
    } | fields
    return post_json(client, "/api/goals/", body, secret)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"milestones": []}, "milestones"),
        ({"description": "x" * 1_000_000}, "description"),
        (
            {
                "goal_type": "metric",
                "metric_name": "nrr",
                "baseline_value": 100,
                "target_value": 105,
                "task_count_target": 7,
                "milestones": None,
            },
            "task_count_target",
        ),
        ({"name": "Line one\nline two"}, "name"),
        ({"name": "Tab\tseparated"}, "name"),
        ({"milestones": [{"name": "Draft\r\nthen ship"}]}, "milestones.0.name"),
    ],
)
def test_the_api_refuses_what_the_goal_form_refuses(client, lead, quarter, fields, field):
    fields = {key: value for key, value in fields.items() if value is not None}
    if fields.get("goal_type") == "metric":
        fields.setdefault("milestones", [])
    response = new_goal(client, lead, quarter, **fields)
    errors = {error["field"] for error in response.json().get("errors", [])}
    assert response.status_code == 400 and field in errors, response.json()
    assert not Goal.objects.exists()


def test_the_services_refuse_them_for_every_caller(lead, quarter):
    from django.core.exceptions import ValidationError

    from goals import services

    with pytest.raises(ValidationError) as refused:
        services.goal_create(
            period=quarter,
            team=lead.membership.team,
            name="No steps",
            goal_type="milestone",
            created_by=lead,
        )
    assert "milestones" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.goal_create(
            period=quarter,
            team=lead.membership.team,
            name="Two\nlines",
            goal_type="task",
            task_target=3,
            created_by=lead,
        )
    assert "one line" in refused.value.message_dict["name"][0]


def test_the_admin_goal_form_applies_the_services_rules(admin_client, lead, quarter):
    page = admin_client.post(
        reverse("admin:goals_goal_add"),
        {
            "period": quarter.pk,
            "team": lead.membership.team_id,
            "name": "Two\nlines",
            "goal_type": "task",
            "task_target": 3,
            "direction": "increase",
            "maintain_side": "floor",
            "weight": "1",
            "visibility": "public",
            "show_in_leaderboard": "on",
            "milestones-TOTAL_FORMS": "0",
            "milestones-INITIAL_FORMS": "0",
            "adjustments-TOTAL_FORMS": "0",
            "adjustments-INITIAL_FORMS": "0",
            "history-TOTAL_FORMS": "0",
            "history-INITIAL_FORMS": "0",
        },
    )
    assert page.status_code == 200
    assert "one line" in page.text
    assert not Goal.objects.exists()


def test_the_goal_page_refuses_a_name_on_two_lines(client, lead, quarter):
    client.force_login(lead)
    page = client.post(
        reverse("goals:goal_create"),
        {
            "period": quarter.pk,
            "team": lead.membership.team_id,
            "name": "Two\nlines",
            "goal_type": "task",
            "task_target": 3,
            "direction": "increase",
            "weight": "1",
            "visibility": "public",
        },
    )
    assert page.status_code == 200
    assert "one line" in page.text
    assert not Goal.objects.exists()
