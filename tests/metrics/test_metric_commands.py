"""`manage.py metric` and `manage.py export_metrics`, as a user runs them."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from tests.builders import TeamFactory, customer, local, nps, renewals

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]

WINDOW = ["--start", "2026-01-01", "--end", "2026-03-31"]
BEFORE, MID = date(2025, 6, 1), date(2026, 2, 10)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def books(team, lead, member, teammate):
    customer(lead, {BEFORE: 1_000, MID: 900})
    customer(member, {BEFORE: 2_000_000 - 1_000, MID: 2_150_000 - 900})
    nps(customer(member), 10, 10, 3, at=local(2026, 2, 1, 12))
    renewals(lead, ["renewed", "renewed", "churned"], date(2026, 3, 31))
    return team


def test_metric_for_a_user_prints_four_decimals(books, member):
    assert run("metric", "nrr", "--user", "MEMBER@example.com", *WINDOW) == "107.5088\n"
    assert run("metric", "nps", "--user", "member@example.com", *WINDOW) == "33.3333\n"


def test_metric_for_a_team_as_json_has_contributions(books, lead, member, teammate):
    out = run("metric", "nrr", "--team", "enterprise", *WINDOW, "--json")
    assert json.loads(out) == {
        "metric": "nrr",
        "value": "107.5000",
        "numerator": "2150000.00",
        "denominator": "2000000.00",
        "contributions": {
            "lead@example.com": "0.0450",
            "mate@example.com": "0.0000",
            "member@example.com": "107.4550",
        },
    }


def test_metric_with_no_data(books, teammate):
    assert run("metric", "nrr", "--user", "mate@example.com", *WINDOW) == "no data\n"
    out = json.loads(run("metric", "grr", "--user", "mate@example.com", *WINDOW, "--json"))
    assert out == {"metric": "grr", "value": None, "numerator": "0", "denominator": "0"}
    empty = TeamFactory(name="Empty")
    out = json.loads(run("metric", "nps", "--team", empty.name, *WINDOW, "--json"))
    assert out["value"] is None and out["contributions"] == {}


def test_metric_alias_prints_the_renewal_rate(books):
    assert run("metric", "retention_rate", "--team", "Enterprise", *WINDOW) == "66.6667\n"
    out = json.loads(run("metric", "retention_rate", "--team", "Enterprise", *WINDOW, "--json"))
    assert out["metric"] == "renewal_rate"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bogus", "--team", "Enterprise", *WINDOW], "Unknown metric 'bogus'"),
        (["nrr", "--team", "Nobody", *WINDOW], "--team: no team named 'Nobody'"),
        (["nrr", "--user", "nobody@example.com", *WINDOW], "no user with the email"),
        (
            ["nrr", "--user", "member@example.com", "--start", "2026-13-01", "--end", "2026-12-31"],
            "'2026-13-01' is not a date",
        ),
        (
            ["nrr", "--user", "member@example.com", "--start", "2026-02-01", "--end", "2026-01-01"],
            "--end 2026-01-01 is before --start 2026-02-01",
        ),
        (
            ["nrr", "--user", "member@example.com", "--team", "Enterprise", *WINDOW],
            "not allowed with argument",
        ),
        (["nrr", *WINDOW], "one of the arguments --team --user is required"),
    ],
)
def test_metric_refuses_bad_arguments(books, args, message):
    with pytest.raises(CommandError, match=message):
        run("metric", *args)


def test_export_metrics_jsonl_covers_every_team_and_member(books, other_member):
    lines = [json.loads(line) for line in run("export_metrics", *WINDOW).splitlines()]
    scopes = {(line["metric"], line["scope_kind"], line["scope"]) for line in lines}
    assert len(lines) == len(scopes) == 5 * (2 + 4)
    nrr_team = next(
        line for line in lines if line["metric"] == "nrr" and line["scope"] == "Enterprise"
    )
    assert nrr_team["value"] == "107.5000"
    assert nrr_team["contributions"]["member@example.com"] == "107.4550"
    smb = next(line for line in lines if line["metric"] == "nps" and line["scope"] == "SMB")
    assert smb == {
        "metric": "nps",
        "scope_kind": "team",
        "scope": "SMB",
        "value": None,
        "numerator": "0",
        "denominator": "0",
        "contributions": {"other@example.com": None},
    }
    renewal = next(
        line
        for line in lines
        if line["scope"] == "lead@example.com" and line["metric"] == "renewal_rate"
    )
    assert (renewal["scope_kind"], renewal["value"]) == ("user", "66.6667")
    assert "contributions" not in renewal


def test_export_metrics_csv_for_chosen_metrics(books):
    out = run("export_metrics", *WINDOW, "--metric", "nps", "--metric", "nrr", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["metric"] for row in rows] == ["nps"] * 4 + ["nrr"] * 4
    member_nps = next(row for row in rows if row["scope"] == "member@example.com")
    assert (member_nps["value"], member_nps["numerator"], member_nps["denominator"]) == (
        "33.3333",
        "1",
        "3",
    )
    team_nrr = rows[4]
    assert team_nrr["scope"] == "Enterprise"
    assert json.loads(team_nrr["contributions"])["lead@example.com"] == "0.0450"
    no_data = next(row for row in rows if row["scope"] == "mate@example.com")
    assert no_data["value"] == ""


def test_export_metrics_queries_do_not_grow_with_teams(books, django_assert_max_num_queries):
    with django_assert_max_num_queries(2 + 5 * 2):
        run("export_metrics", *WINDOW)


def test_export_metrics_csv_quotes_formula_like_team_names():
    TeamFactory(name="=HYPERLINK(1)")
    out = run("export_metrics", *WINDOW, "--metric", "nrr", "--format", "csv")
    assert list(csv.reader(io.StringIO(out)))[1] == [
        "nrr",
        "team",
        "'=HYPERLINK(1)",
        "",
        "0",
        "0",
        "",
    ]
