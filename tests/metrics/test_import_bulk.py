"""The bulk path of CSV imports (PostgreSQL): it writes exactly what the row-by-row path writes,
and leaves every file it cannot vouch for (bad cells, repeated keys, unknown customers) to it."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from metrics.importing import (
    ImportRejected,
    bulk_import_csv,
    bulk_import_json,
    get_kind,
    import_csv,
    import_json,
    import_records,
    json_records,
    read_csv,
)
from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from tests.builders import customer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's"),
]

STAMPS = {"id", "created_at", "updated_at"}


class Undo(Exception):
    pass


def stored() -> dict:
    """Every customer record, without ids and time stamps (two imports differ in those)."""
    rows = {}
    for model in (ArrRecord, Renewal, NpsResponse, Qbr):
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in STAMPS]
        rows[model.__name__] = sorted(model.objects.values_list(*names), key=repr)
    return rows


def imported(kind: str, data, *, bulk: bool):
    """What an import of `data` (CSV bytes or JSON items) returns and leaves in the database,
    then undone."""
    outcome = None
    try:
        with transaction.atomic():
            if isinstance(data, list):
                records, errors = json_records(get_kind(kind), data)
                assert errors == []
                if bulk:
                    result = bulk_import_json(get_kind(kind), records)
                else:
                    result = import_records(kind, records)
            elif bulk:
                result = bulk_import_csv(get_kind(kind), data)
            else:
                records, header = read_csv(get_kind(kind), data)
                result = import_records(kind, records, header=header)
            outcome = (result and (result.summary(), result.owner_ids), stored())
            raise Undo
    except Undo:
        pass
    return outcome


@pytest.fixture
def book(member, teammate):
    acme = customer(member, {date(2025, 1, 1): 1000, date(2025, 2, 1): 1100}, external_id="ACME")
    customer(teammate, external_id="GLOBEX")
    customer(teammate, external_id="=X1")  # a formula-like id: exports quote it
    customer(teammate, external_id="A,B")
    customer(member, external_id="A\\B")
    customer(member, external_id="Café Ünï")
    NpsResponse.objects.create(
        customer=acme,
        respondent="cfo@acme.example",
        responded_at="2026-02-02T23:00:00Z",
        score=7,
        comment="kept",
    )
    return acme


GOOD = [
    (
        "arr",
        "customer_external_id,effective_date,arr\n"
        "ACME,2025-01-01,1000\nACME,2025-02-01,1200.5\nGLOBEX,2026-01-01,0\n",
    ),
    (
        "arr",
        "\ufeffarr, Effective_Date ,customer_external_id\r\n\r\n"
        ' 1e3 ,2026-01-01,"ACME"\r\n+5,2026-02-01, GLOBEX \r\n.5,2026-03-01,\'=X1\r\n'
        '007.10,2026-04-01,"A,B"\r\n5.,2026-05-01,A\\B\r\n\r\n',
    ),
    (
        "arr",
        "customer_external_id,effective_date,arr\n"
        "Café Ünï,2026-01-01,1\nCafé Ünï,2026-02-01,2\nACME,2026-01-01,3\nACME,2026-03-01,4\n",
    ),
    (
        "renewals",
        "customer_external_id,due_date,outcome\nACME,2026-03-31,Renewed\nGLOBEX,2026-02-01,PENDING\n",
    ),
    (
        "nps",
        "customer_external_id,respondent,responded_at,score,comment\n"
        "ACME,cfo@acme.example,2026-02-03,10,\n"
        'ACME,cto@acme.example,2026-02-03T09:30:00,6,"two\nlines\tand a \\ backslash"\n'
        "GLOBEX,cto@acme.example,2026-02-04T09:30:00+05:30,0,'=SUM(A1)\n",
    ),
    (
        "nps",
        "customer_external_id,respondent,responded_at,score\n"
        "ACME,cfo@acme.example,2026-02-03,9\nGLOBEX, a@x.example ,2026-02-04T09:30:00Z,08\n",
    ),
    (
        "qbrs",
        "customer_external_id,scheduled_date,completed_at\n"
        "ACME,2026-01-15,2026-01-16T10:00\nGLOBEX,2026-02-15,\n",
    ),
]


@pytest.mark.parametrize(("kind", "content"), GOOD)
def test_the_bulk_path_writes_what_the_row_by_row_path_writes(book, kind, content):
    data = content.encode()
    by_rows = imported(kind, data, bulk=False)
    in_bulk = imported(kind, data, bulk=True)
    assert in_bulk[0] is not None, "the bulk path took the file"
    assert in_bulk == by_rows
    assert in_bulk[1] != stored()  # the file changed something


BAD = [
    ("arr", "customer_external_id,effective_date,arr\nACME,2026-01-01,10\nNOPE,2026-01-01,10\n"),
    ("arr", "customer_external_id,effective_date,arr\nACME,2026-01-01,10\nACME,2026-01-01,12\n"),
    ("arr", "customer_external_id,effective_date,arr\nACME,2026-01-01,10\nACME, 2026-01-01 ,12\n"),
    ("arr", "customer_external_id,effective_date,arr\nACME,2026-01-01,10.001\n"),
    ("arr", "customer_external_id,effective_date,arr\nACME,2026-01-01\n"),
    ("arr", "customer_external_id,effective_date,arr\nACME,2026-01-01,10\n,2026-01-01,5\n"),
    (
        "nps",
        "customer_external_id,respondent,responded_at,score\n"
        "ACME,a@x.example,2026-02-03T10:00+01:00,9\nACME,a@x.example,2026-02-03T09:00Z,8\n",
    ),
]


@pytest.mark.parametrize(("kind", "content"), BAD)
def test_a_file_with_a_bad_row_is_left_to_the_row_by_row_path(book, kind, content):
    before = stored()
    assert bulk_import_csv(get_kind(kind), content.encode()) is None
    assert stored() == before
    with pytest.raises(ImportRejected):
        import_csv(kind, content.encode(), source="data.csv")
    assert stored() == before
    assert Customer.objects.count() == 6


def test_a_row_of_empty_cells_is_a_blank_line_to_either_path(book):
    data = b"customer_external_id,effective_date,arr\nACME,2026-01-01,10\n , ,\n"
    assert bulk_import_csv(get_kind("arr"), data) is None
    result = import_csv("arr", data, source="data.csv")
    assert result.summary() == "arr: 1 created, 0 updated, 0 unchanged"


GOOD_JSON = [
    (
        "arr",
        [
            {"customer_external_id": "ACME", "effective_date": "2025-01-01", "arr": 1000},
            {"customer_external_id": "ACME", "effective_date": "2025-02-01", "arr": 1200.5},
            {"customer_external_id": "GLOBEX", "effective_date": "2026-01-01", "arr": "0"},
            {
                "customer_external_id": " Café Ünï ",
                "effective_date": "2026-01-01",
                "arr": Decimal("1e3"),
            },
        ],
    ),
    (
        "nps",
        [
            {
                "customer_external_id": "ACME",
                "respondent": "cfo@acme.example",
                "responded_at": "2026-02-03",
                "score": 9,
                "comment": None,
            },
            {
                "customer_external_id": "GLOBEX",
                "respondent": "cto@acme.example",
                "responded_at": "2026-02-03T09:30:00+01:00",
                "score": "10",
            },
        ],
    ),
]


@pytest.mark.parametrize(("kind", "items"), GOOD_JSON)
def test_the_bulk_path_of_the_api_writes_what_the_row_by_row_path_writes(book, kind, items):
    by_rows = imported(kind, items, bulk=False)
    in_bulk = imported(kind, items, bulk=True)
    assert in_bulk[0] is not None, "the bulk path took the records"
    assert in_bulk == by_rows


@pytest.mark.parametrize(
    "external_id", ["AC\x00ME", "AC\ud800ME", "NOPE"], ids=["nul", "lone-surrogate", "unknown"]
)
def test_records_with_a_bad_cell_are_left_to_the_row_by_row_path(book, external_id):
    items = [
        {"customer_external_id": "ACME", "effective_date": "2026-01-01", "arr": "10"},
        {"customer_external_id": external_id, "effective_date": "2026-01-01", "arr": "10"},
    ]
    before = stored()
    assert bulk_import_json(get_kind("arr"), json_records(get_kind("arr"), items)[0]) is None
    with pytest.raises(ImportRejected) as rejected:
        import_json("arr", items)
    assert [(error.row, error.column) for error in rejected.value.errors] == [
        (2, "customer_external_id")
    ]
    assert stored() == before
