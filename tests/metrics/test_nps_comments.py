"""NPS comments: the `nps` import takes an optional `comment` column, keeps comments a file
without it says nothing about, and the export writes them back (formula-like text neutralised).

Also on SQLite (`sqlite_parity`): the import writes rows another way there."""

import io

import pytest

from metrics.exporting import export_csv
from metrics.importing import import_csv, import_json
from metrics.models import NpsResponse
from tests.builders import customer

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]

HEADER = "customer_external_id,respondent,responded_at,score"


@pytest.fixture
def client_account(member):
    return customer(member, external_id="ACME")


def test_comments_come_in_and_a_file_without_them_leaves_them(client_account):
    with_comments = (
        f"{HEADER},comment\r\n"
        'ACME,cfo@acme.example,2026-02-03,3,"\'=pricing, again"\r\n'
        "ACME,cto@acme.example,2026-02-03,10,\r\n"
    )
    result = import_csv("nps", with_comments.encode(), source="nps.csv")
    assert result.created == 2
    assert NpsResponse.objects.get(respondent="cfo@acme.example").comment == "=pricing, again"

    # The same responses without the column: scores update, comments stay.
    without = (
        f"{HEADER}\r\nACME,cfo@acme.example,2026-02-03,4\r\nACME,cto@acme.example,2026-02-03,10\r\n"
    )
    result = import_csv("nps", without.encode(), source="nps.csv")
    assert (result.updated, result.unchanged) == (1, 1)
    cfo = NpsResponse.objects.get(respondent="cfo@acme.example")
    assert (cfo.score, cfo.comment) == (4, "=pricing, again")

    import_json(
        "nps",
        [
            {
                "customer_external_id": "ACME",
                "respondent": "cfo@acme.example",
                "responded_at": "2026-02-03",
                "score": 4,
            },
        ],
    )
    assert NpsResponse.objects.get(respondent="cfo@acme.example").comment == "=pricing, again"

    out = io.StringIO()
    export_csv("nps", out)
    exported = out.getvalue()
    assert exported.splitlines()[0] == f"{HEADER},comment"
    assert "'=pricing, again" in exported
    # The export imports back unchanged.
    again = import_csv("nps", exported.encode(), source="nps.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
