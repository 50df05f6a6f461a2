"""A fuzz corpus of bad CSV files through `import_data` and the admin upload: each is refused
whole with an error naming the line and the reason, and nothing is written. Time and memory
are measured by `python -m bench.drills.csv_fuzz`, not asserted here. Formula-like text is
stored as text and neutralised on export."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from metrics.models import ArrRecord, Customer
from tests.builders import customer

pytestmark = pytest.mark.django_db

HEADER = "customer_external_id,effective_date,arr\r\n"
GOOD_ROW = "ACME,2026-02-01,1200.00\r\n"

CORPUS = {
    "truncated row": (HEADER + GOOD_ROW + "ACME,2026-03-01\r\n").encode(),
    "truncated quoted cell": (HEADER + GOOD_ROW + 'ACME,2026-03-01,"12').encode(),
    "utf-16": (HEADER + GOOD_ROW).encode("utf-16"),
    "latin-1": (HEADER + "ACMÉ,2026-02-01,1200.00\r\n").encode("latin-1"),
    "nul byte": (HEADER + GOOD_ROW + "AC\x00ME,2026-03-01,1.00\r\n").encode(),
    "10 MB single cell": (
        HEADER + GOOD_ROW + '"' + "9" * 10_000_000 + '",2026-03-01,1\r\n'
    ).encode(),
    "1 million blank lines": (HEADER + GOOD_ROW + "\r\n" * 1_000_000).encode(),
    "formula as a number": (HEADER + "ACME,2026-03-01,=1+2\r\n").encode(),
    "formula as a date": (HEADER + "ACME,=cmd|' /C calc'!A0,1.00\r\n").encode(),
    "formula in the header": b"=cmd|' /C calc'!A0,effective_date,arr\r\n" + GOOD_ROW.encode(),
}

EXPECTED = {
    "truncated row": "data.csv:3: (row): 2 cells, but the header has 3 columns",
    "truncated quoted cell": "data.csv:3: (file): bad CSV: unexpected end of data",
    "utf-16": "data.csv:1: (file): UTF-16 text: save the file as UTF-8 (CSV UTF-8)",
    "latin-1": "data.csv:2: (file): not UTF-8 text (byte 0xc9)",
    "nul byte": "data.csv:3: (file): a NUL byte: this is not a text file",
    "10 MB single cell": "data.csv:3: (file): a cell longer than 131,072 characters",
    "1 million blank lines": (
        "data.csv:1: (file): 1,000,002 lines: at most 250,000 lines per file (split it)"
    ),
    "formula as a number": "data.csv:2: arr:",
    "formula as a date": "data.csv:2: effective_date:",
    "formula in the header": "data.csv:1: customer_external_id: missing column",
}


@pytest.fixture
def acme(member):
    return customer(member, {date(2026, 1, 1): 1000}, external_id="ACME", name="Acme")


def snapshot():
    return list(ArrRecord.objects.order_by("pk").values()), list(Customer.objects.values())


@pytest.mark.parametrize("case", list(CORPUS))
def test_the_command_refuses_each_bad_file_whole(tmp_path, monkeypatch, acme, case):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_bytes(CORPUS[case])
    before = snapshot()
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"Nothing was imported: \d+ error\(s\) in data.csv"):
        call_command("import_data", "arr", "data.csv", stderr=err, stdout=io.StringIO())
    assert err.getvalue().splitlines()[0].startswith(EXPECTED[case])
    assert snapshot() == before


@pytest.mark.parametrize(
    "case", ["utf-16", "nul byte", "10 MB single cell", "1 million blank lines"]
)
def test_the_admin_upload_refuses_each_bad_file_whole(admin_client, acme, case):
    before = snapshot()
    upload = SimpleUploadedFile("data.csv", CORPUS[case], content_type="text/csv")
    page = admin_client.post(
        reverse("admin:metrics_import", kwargs={"kind": "arr"}), {"file": upload}
    )
    assert page.status_code == 200
    assert EXPECTED[case] in page.text
    assert snapshot() == before


def test_an_oversized_upload_is_refused_before_it_is_read_whole(admin_client, acme, settings):
    settings.METRICS_IMPORT_MAX_BYTES = 1024 * 1024
    before = snapshot()
    upload = SimpleUploadedFile("big.csv", (HEADER + GOOD_ROW * 60_000).encode())
    page = admin_client.post(
        reverse("admin:metrics_import", kwargs={"kind": "arr"}), {"file": upload}
    )
    assert "big.csv:1: (file): the file is larger than 1 MB, the most one import takes" in page.text
    assert snapshot() == before


def test_a_utf8_bom_is_accepted(tmp_path, monkeypatch, acme):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_bytes(("\ufeff" + HEADER + GOOD_ROW).encode())
    out = io.StringIO()
    call_command("import_data", "arr", "data.csv", stdout=out)
    assert out.getvalue().strip() == "arr: 1 created, 0 updated, 0 unchanged"


def test_formula_text_is_stored_as_text_and_neutralised_on_export(tmp_path, monkeypatch, member):
    monkeypatch.chdir(tmp_path)
    payload = "=cmd|' /C calc'!A0"
    (tmp_path / "customers.csv").write_text(
        f'external_id,name,csm_email,segment\r\n"{payload}","{payload}",{member.email},@SUM(A1)\r\n'
    )
    call_command("import_data", "customers", "customers.csv", stdout=io.StringIO())
    stored = Customer.objects.get()
    assert (stored.external_id, stored.name, stored.segment) == (payload, payload, "@SUM(A1)")
    out = io.StringIO()
    call_command("export_data", "customers", stdout=out)
    row = out.getvalue().splitlines()[1]
    assert row == f"'{payload},'{payload},{member.email},'@SUM(A1)"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([{"customer_external_id": "ACME", "effective_date": "2026-03-01"}], "missing field"),
        ([{"customer_external_id": "ACME", "effective_date": "=1+1", "arr": "1"}], None),
        (
            [{"customer_external_id": "A\u0000CME", "effective_date": "2026-03-01", "arr": "1"}],
            None,
        ),
    ],
)
def test_the_api_import_refuses_bad_rows_whole(client, admin_user, acme, body, reason):
    from goals_project.people.tokens import api_token_create

    _, secret = api_token_create(user=admin_user, name="import", scopes=["import"])
    before = snapshot()
    response = client.post(
        "/api/data/arr/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and errors[0]["row"] == 1
    if reason:
        assert errors[0]["message"] == reason
    assert snapshot() == before


def test_the_api_refuses_a_body_over_the_upload_limit(client, admin_user, acme):
    from goals_project.people.tokens import api_token_create

    _, secret = api_token_create(user=admin_user, name="import", scopes=["import"])
    before = snapshot()
    body = [
        {"customer_external_id": "ACME", "effective_date": "2026-03-01", "arr": "9" * 10_000_000}
    ]
    response = client.post(
        "/api/data/arr/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert snapshot() == before
