"""`import_data` and `export_data`: formats, upserts, all-or-nothing errors, round trips."""

import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from goals_project.people.models import Membership, Team, User
from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from metrics.signals import customer_data_changed
from tests.builders import customer

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]

ROOT = Path(__file__).resolve().parents[2]


def snapshot() -> dict:
    """Every row of customer data and people, to prove that a failed import wrote nothing."""
    models = (User, Team, Membership, Customer, ArrRecord, Renewal, NpsResponse, Qbr)
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    # Files are named relative to the working directory, as a user types them.
    monkeypatch.chdir(tmp_path)


def run_import(tmp_path, kind: str, content: str | bytes, name: str = "data.csv"):
    """Run the command; returns (stdout, stderr lines, CommandError or None)."""
    (tmp_path / name).write_bytes(content.encode() if isinstance(content, str) else content)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_data", kind, name, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue().splitlines(), error
    return out.getvalue(), err.getvalue().splitlines(), None


def export(kind: str) -> str:
    out = io.StringIO()
    call_command("export_data", kind, stdout=out)
    return out.getvalue()


@pytest.fixture
def book(member, teammate):
    acme = customer(member, {date(2025, 1, 1): 1000}, external_id="ACME", name="Acme")
    customer(teammate, external_id="GLOBEX", name="Globex")
    return acme


def test_import_customers_then_reimport_changes_nothing(tmp_path, member, teammate):
    content = (
        "external_id,name,csm_email,segment\r\n"
        'ACME,"Acme, ""The"" Company",MEMBER@example.com,Enterprise\r\n'
        "GLOBEX,Globex,mate@example.com,\r\n"
    )
    out, err, error = run_import(tmp_path, "customers", content)
    assert error is None and err == []
    assert out.strip() == "customers: 2 created, 0 updated, 0 unchanged"
    acme = Customer.objects.get(external_id="ACME")
    assert (acme.name, acme.csm, acme.segment) == ('Acme, "The" Company', member, "Enterprise")
    before = snapshot()
    out, _, _ = run_import(tmp_path, "customers", content)
    assert out.strip() == "customers: 0 created, 0 updated, 2 unchanged"
    assert snapshot() == before


def test_import_arr_upserts_by_customer_and_date(tmp_path, book):
    content = (
        "customer_external_id,effective_date,arr\n"
        "ACME,2025-01-01,1200.50\n"
        "ACME,2025-07-01,0\n"
        "GLOBEX,2025-03-01,300\n"
    )
    out, _, error = run_import(tmp_path, "arr", content)
    assert error is None
    assert out.strip() == "arr: 2 created, 1 updated, 0 unchanged"
    assert list(
        ArrRecord.objects.order_by("customer__external_id", "effective_date").values_list(
            "customer__external_id", "effective_date", "arr"
        )
    ) == [
        ("ACME", date(2025, 1, 1), Decimal("1200.50")),
        ("ACME", date(2025, 7, 1), Decimal("0.00")),
        ("GLOBEX", date(2025, 3, 1), Decimal("300.00")),
    ]
    before = snapshot()
    out, _, _ = run_import(tmp_path, "arr", content)
    assert out.strip() == "arr: 0 created, 0 updated, 3 unchanged"
    assert snapshot() == before


def test_import_renewals_nps_and_qbrs(tmp_path, book, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    renewals = (
        "customer_external_id,due_date,outcome\n"
        "ACME,2026-03-31,Renewed\n"
        "GLOBEX,2026-02-01,pending\n"
    )
    nps = (
        "customer_external_id,respondent,responded_at,score\n"
        "ACME,cfo@acme.example,2026-02-03,10\n"
        "ACME,cto@acme.example,2026-02-03T09:30:00,6\n"
        "ACME,cto@acme.example,2026-02-04T09:30:00Z,0\n"
    )
    qbrs = (
        "customer_external_id,scheduled_date,completed_at\n"
        "ACME,2026-01-15,2026-01-16T10:00\n"
        "GLOBEX,2026-02-15,\n"
    )
    for kind, content in (("renewals", renewals), ("nps", nps), ("qbrs", qbrs)):
        _, err, error = run_import(tmp_path, kind, content)
        assert error is None, err
    assert dict(Renewal.objects.values_list("customer__external_id", "outcome")) == {
        "ACME": "renewed",
        "GLOBEX": "pending",
    }
    responses = NpsResponse.objects.order_by("responded_at")
    # A date is local midnight; a datetime without an offset is local time (Berlin is UTC+1).
    assert [(r.responded_at, r.score) for r in responses] == [
        (datetime(2026, 2, 2, 23, 0, tzinfo=UTC), 10),
        (datetime(2026, 2, 3, 8, 30, tzinfo=UTC), 6),
        (datetime(2026, 2, 4, 9, 30, tzinfo=UTC), 0),
    ]
    assert dict(Qbr.objects.values_list("customer__external_id", "completed_at")) == {
        "ACME": datetime(2026, 1, 16, 9, 0, tzinfo=UTC),
        "GLOBEX": None,
    }


def test_import_users_creates_teams_and_memberships(tmp_path, member):
    content = (
        "email,name,team,role\n"
        "new.lead@example.com,Nia Lead,Strategic,lead\n"
        "member@example.com,,strategic,member\n"
    )
    out, _, error = run_import(tmp_path, "users", content)
    assert error is None
    assert out.strip() == "users: 1 created, 1 updated, 0 unchanged"
    strategic = Team.objects.get(name="Strategic")
    assert set(strategic.memberships.values_list("user__email", "role")) == {
        ("new.lead@example.com", "lead"),
        ("member@example.com", "member"),
    }
    assert User.objects.get(email="member@example.com").name == "Mo Member"  # empty keeps it
    assert not User.objects.get(email="new.lead@example.com").has_usable_password()
    before = snapshot()
    out, _, _ = run_import(tmp_path, "users", content)
    assert out.strip() == "users: 0 created, 0 updated, 2 unchanged"
    assert snapshot() == before


def test_a_successful_import_signals_the_changed_books_after_commit(
    tmp_path, book, member, teammate, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, owner_ids, kind, **kwargs):
        received.append((kind, owner_ids))

    customer_data_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run_import(
                tmp_path,
                "customers",
                "external_id,name,csm_email,segment\nACME,Acme,mate@example.com,\n"
                "GLOBEX,Globex,mate@example.com,\n",
            )
        assert received == [("customers", {member.pk, teammate.pk})]  # moved: old and new CSM
        with django_capture_on_commit_callbacks(execute=True):
            run_import(tmp_path, "arr", "customer_external_id,effective_date,arr\n")
            run_import(
                tmp_path, "arr", "customer_external_id,effective_date,arr\nACME,2026-01-01,5"
            )
        assert received[1:] == [("arr", set()), ("arr", {teammate.pk})]
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            run_import(tmp_path, "arr", "customer_external_id,effective_date,arr\nACME,x,5")
        assert callbacks == [] and len(received) == 3
    finally:
        customer_data_changed.disconnect(receiver)


ARR_HEADER = "customer_external_id,effective_date,arr\n"


@pytest.mark.parametrize(
    ("kind", "content", "errors"),
    [
        (
            "arr",
            ARR_HEADER + "ACME,2026-01-01,10\nINITECH,2026-01-01,10\n",
            ["data.csv:3: customer_external_id: unknown customer 'INITECH'"],
        ),
        (
            "customers",
            "external_id,name,csm_email,segment\nX1,X,ghost@example.com,\n",
            ["data.csv:2: csm_email: unknown csm email 'ghost@example.com'"],
        ),
        (
            "arr",
            ARR_HEADER + "ACME,2026-02-30,10\nACME,01/03/2026,10\n",
            [
                "data.csv:2: effective_date: bad date '2026-02-30': use YYYY-MM-DD",
                "data.csv:3: effective_date: bad date '01/03/2026': use YYYY-MM-DD",
            ],
        ),
        (
            "arr",
            ARR_HEADER + "ACME,2026-01-01,-100\nACME,2026-02-01,1e3x\n",
            [
                "data.csv:2: arr: negative ARR -100: ARR is 0 or more (0 means churned)",
                "data.csv:3: arr: not a number: '1e3x'",
            ],
        ),
        (
            "nps",
            "customer_external_id,respondent,responded_at,score\n"
            "ACME,a@x.example,2026-01-01,11\nACME,b@x.example,2026-01-01,-1\n"
            "ACME,c@x.example,2026-01-01,9.5\n",
            [
                "data.csv:2: score: score 11 is outside 0-10",
                "data.csv:3: score: score -1 is outside 0-10",
                "data.csv:4: score: not a whole number: '9.5'",
            ],
        ),
        (
            "renewals",
            "customer_external_id,due_date,outcome\nACME,2026-01-01,won\n",
            ["data.csv:2: outcome: unknown outcome 'won': use renewed, churned or pending"],
        ),
        (
            "arr",
            "customer_external_id,arr\nACME,10\n",
            ["data.csv:1: effective_date: missing column"],
        ),
        (
            "arr",
            "customer_external_id,effective_date,arr,currency\nACME,2026-01-01,10,EUR\n",
            [
                "data.csv:1: currency: unknown column: the columns are "
                "customer_external_id, effective_date, arr"
            ],
        ),
        (
            "arr",
            ARR_HEADER + "ACME,2026-01-01,10\nGLOBEX,2026-01-01,10\nACME,2026-01-01,12\n",
            ["data.csv:4: effective_date: the same customer_external_id + effective_date as row 2"],
        ),
        (
            "arr",
            "",
            [
                "data.csv:1: (file): the file is empty: a header row is required: "
                "customer_external_id,effective_date,arr"
            ],
        ),
        (
            "customers",
            "external_id,name,csm_email,segment\nX1,Caf\xe9,member@example.com,\n".encode(
                "latin-1"
            ),
            ["data.csv:2: (file): not UTF-8 text (byte 0xe9)"],
        ),
        (
            "arr",
            ARR_HEADER + "ACME,2026-01-01\n",
            ["data.csv:2: (row): 2 cells, but the header has 3 columns"],
        ),
        (
            "qbrs",
            "customer_external_id,scheduled_date,completed_at\nACME,2026-01-01,soon\n",
            [
                "data.csv:2: completed_at: bad date or datetime 'soon': use YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM[:SS][+HH:MM]"
            ],
        ),
        (
            "users",
            "email,name,team,role\nnot-an-email,X,,boss\n",
            [
                "data.csv:2: email: not an email address: 'not-an-email'",
                "data.csv:2: team: required, but empty",
                "data.csv:2: role: unknown role 'boss': use member or lead",
            ],
        ),
        (
            "arr",
            ARR_HEADER + 'ACME,"2026-01-01,10\n',
            ["data.csv:2: (file): bad CSV: unexpected end of data"],
        ),
    ],
    ids=[
        "unknown-customer",
        "unknown-csm",
        "bad-date",
        "negative-arr",
        "score-outside-0-10",
        "unknown-outcome",
        "missing-column",
        "extra-column",
        "same-key-twice",
        "empty-file",
        "not-utf8",
        "short-row",
        "bad-datetime",
        "bad-user",
        "bad-quoting",
    ],
)
def test_bad_input_rejects_the_whole_file(tmp_path, book, kind, content, errors):
    before = snapshot()
    _, printed, error = run_import(tmp_path, kind, content)
    assert printed == errors
    assert str(error) == f"Nothing was imported: {len(errors)} error(s) in data.csv."
    assert error.returncode == 1
    assert snapshot() == before


def test_one_bad_row_among_good_ones_writes_nothing(tmp_path, book):
    rows = "".join(f"ACME,2024-01-{day:02d},{day}00\n" for day in range(1, 29))
    before = snapshot()
    _, printed, error = run_import(tmp_path, "arr", ARR_HEADER + rows + "ACME,2024-02-01,-1\n")
    assert printed == ["data.csv:30: arr: negative ARR -1: ARR is 0 or more (0 means churned)"]
    assert snapshot() == before


def test_more_than_50_errors_are_counted(tmp_path, book):
    rows = "".join(f"NOPE{n},2026-01-01,1\n" for n in range(70))
    _, printed, error = run_import(tmp_path, "arr", ARR_HEADER + rows, name="big.csv")
    assert len(printed) == 51
    assert printed[0] == "big.csv:2: customer_external_id: unknown customer 'NOPE0'"
    assert printed[49] == "big.csv:51: customer_external_id: unknown customer 'NOPE49'"
    assert printed[50] == "... and 20 more errors"
    assert "70 error(s)" in str(error)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="nope.csv: cannot read the file"):
        call_command("import_data", "arr", str(tmp_path / "nope.csv"))


def test_the_command_exits_with_status_1(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    done = subprocess.run(
        [sys.executable, "manage.py", "import_data", "arr", str(tmp_path / "empty.csv")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "goals_project.settings"},
        check=False,
    )
    assert done.returncode == 1
    assert "empty.csv:1: (file): the file is empty" in done.stderr


def test_bom_blank_lines_and_whitespace_are_accepted(tmp_path, book):
    content = (
        "\ufeffCustomer_External_ID , effective_date,arr\r\n\r\n ACME , 2026-01-01 , 10 \r\n\r\n"
    )
    out, _, error = run_import(tmp_path, "arr", content)
    assert error is None and out.strip() == "arr: 1 created, 0 updated, 0 unchanged"


def test_export_round_trips_every_kind(tmp_path, member, teammate, settings):
    settings.TIME_ZONE = "America/New_York"
    files = {
        "users": "email,name,team,role\r\n+ops@example.com,Ops,Enterprise,member\r\n"
        "mate@example.com,Tia Mate,Enterprise,member\r\n"
        "member@example.com,Mo Member,Enterprise,lead\r\n",
        "customers": "external_id,name,csm_email,segment\r\n"
        '-42,"=HYPERLINK(""http://evil.example"")",member@example.com,@risk\r\n'
        'ACME,"Acme, Inc.",+ops@example.com,\r\n',
        "arr": "customer_external_id,effective_date,arr\r\n-42,2025-01-01,10.50\r\n"
        "ACME,2025-01-01,1000.00\r\nACME,2025-06-01,0.00\r\n",
        "renewals": "customer_external_id,due_date,outcome\r\nACME,2026-01-31,churned\r\n",
        "nps": "customer_external_id,respondent,responded_at,score,comment\r\n"
        "ACME,+1 555 0100,2026-02-03T09:30:00-05:00,9,@call back\r\n",
        "qbrs": "customer_external_id,scheduled_date,completed_at\r\n"
        "-42,2026-01-10,\r\nACME,2026-01-10,2026-01-11T15:00:00-05:00\r\n",
    }
    for kind, content in files.items():
        _, err, error = run_import(tmp_path, kind, content, name=f"{kind}.csv")
        assert error is None, err
    exported = {kind: export(kind) for kind in files}
    # Formula-like text gets a leading quote; numbers and dates are written as they are.
    assert exported["customers"] == (
        "external_id,name,csm_email,segment\r\n"
        '\'-42,"\'=HYPERLINK(""http://evil.example"")",member@example.com,\'@risk\r\n'
        'ACME,"Acme, Inc.",\'+ops@example.com,\r\n'
    )
    assert exported["nps"] == (
        "customer_external_id,respondent,responded_at,score,comment\r\n"
        "ACME,'+1 555 0100,2026-02-03T09:30:00-05:00,9,'@call back\r\n"
    )
    for kind in ("users", "arr", "renewals", "qbrs"):
        lines = exported[kind].replace("'-42", "-42").replace("'+ops", "+ops").splitlines()
        assert sorted(lines) == sorted(files[kind].splitlines())  # the order is the collation's
    # Importing the export changes nothing, and keeps the text as it was.
    before = snapshot()
    for kind, content in exported.items():
        out, err, error = run_import(tmp_path, kind, content, name=f"export-{kind}.csv")
        assert error is None, err
        assert "0 created, 0 updated" in out
    assert snapshot() == before
    assert Customer.objects.get(external_id="-42").name == '=HYPERLINK("http://evil.example")'


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


ARR_ROWS = (
    "customer_external_id,effective_date,arr\n"
    "ACME,2026-01-01,100\nACME,2026-02-01,120\nGLOBEX,2026-01-01,90\n"
)


@pytest.fixture
def lines_at_once(monkeypatch):
    """Plain progress lines from the first update on (normally after a second, every 5 s)."""
    from goals_project import progress_bars

    monkeypatch.setattr(progress_bars, "LINES_AFTER_SECONDS", 0)
    monkeypatch.setattr(progress_bars, "LINES_EVERY_SECONDS", 0)


def test_a_long_import_prints_its_progress_in_logs(tmp_path, book, lines_at_once):
    out, err, error = run_import(tmp_path, "arr", ARR_ROWS)
    assert error is None
    assert out.strip() == "arr: 3 created, 0 updated, 0 unchanged"
    assert "Reading rows: 4 of 4 (100%)" in err
    assert "Checking rows: 3 of 3 (100%)" in err
    assert "Writing rows: 3 of 3 (100%)" in err


def test_a_quiet_import_prints_no_progress(tmp_path, book, lines_at_once):
    (tmp_path / "arr.csv").write_text(ARR_ROWS)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_data", "arr", "arr.csv", verbosity=0, stdout=out, stderr=err)
    assert err.getvalue() == ""
    assert ArrRecord.objects.count() == 1 + 3  # the book's record and the three new


def test_an_import_on_a_terminal_shows_a_bar(tmp_path, book):
    (tmp_path / "arr.csv").write_text(ARR_ROWS)
    err = Terminal()
    call_command("import_data", "arr", "arr.csv", stdout=io.StringIO(), stderr=err)
    bar = err.getvalue()
    assert "Checking rows" in bar and "Writing rows" in bar
    assert "3/3" in bar and "100%" in bar
