"""Customer data in Django admin (lists, CSV upload, edits) and the import API."""

import json
from contextlib import nullcontext
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from goals_project.people.tokens import api_token_create
from metrics import import_jobs, uploads
from metrics.models import ArrRecord, Customer, ImportJob, NpsResponse, Qbr, Renewal
from metrics.signals import customer_data_changed
from tests.builders import customer, local, nps, qbr, renewals

from .test_import import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(member, teammate):
    acme = customer(member, {date(2025, 1, 1): 1000}, external_id="ACME", name="Acme")
    customer(teammate, {date(2025, 2, 1): 50}, external_id="GLOBEX", name="Globex")
    nps(acme, 9, at=local(2026, 1, 5, 10))
    qbr(acme, date(2026, 1, 10), None)
    renewals(member, ["renewed"], date(2026, 3, 1))
    Renewal.objects.create(customer=acme, due_date=date(2026, 6, 1), outcome="pending")
    return acme


@pytest.fixture
def signals():
    received = []

    def receiver(sender, owner_ids, kind, **kwargs):
        received.append((kind, owner_ids))

    customer_data_changed.connect(receiver)
    yield received
    customer_data_changed.disconnect(receiver)


@pytest.mark.parametrize(
    ("model", "query", "shown", "hidden"),
    [
        ("customer", "?q=acme", "ACME", "GLOBEX"),
        ("customer", "?segment=zzz", "0 customers", "ACME"),
        ("arrrecord", "?q=globex", "Globex", "Acme"),
        ("renewal", "?outcome=renewed", "Customer", "Acme"),
        ("npsresponse", "?q=person0", "Acme", "Globex"),
        ("qbr", "?completed_at__isempty=1", "Acme", "Globex"),
    ],
)
def test_admin_lists_search_and_filter(client, admin_user, book, model, query, shown, hidden):
    client.force_login(admin_user)
    response = client.get(reverse(f"admin:metrics_{model}_changelist") + query)
    assert response.status_code == 200
    page = response.content.decode()
    assert shown in page and hidden not in page
    assert "Import " in page and "CSV" in page


def test_admin_customer_list_does_not_grow_with_customers(
    client, admin_user, book, member, django_assert_max_num_queries
):
    client.force_login(admin_user)
    url = reverse("admin:metrics_customer_changelist")
    client.get(url)
    for number in range(20):
        customer(member, external_id=f"MORE-{number}")
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_admin_is_for_staff_only(client, member, book):
    client.force_login(member)
    for url in (
        reverse("admin:metrics_customer_changelist"),
        reverse("admin:metrics_import", kwargs={"kind": "arr"}),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response.url


def upload(client, kind: str, content: str, name: str = "upload.csv", capture=None):
    """Upload a file as the admin page does; its import runs after commit (`capture`: pytest-
    django's django_capture_on_commit_callbacks), then the page the upload went to is read."""
    with capture(execute=True) if capture else nullcontext():
        response = client.post(
            reverse("admin:metrics_import", kwargs={"kind": kind}),
            {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")},
        )
    if response.status_code != 302:
        return response
    return client.get(response.url, follow=True)


def test_admin_upload_imports_a_csv_in_the_background(
    client, admin_user, book, signals, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    page = client.get(reverse("admin:metrics_import", kwargs={"kind": "arr"})).content.decode()
    assert "customer_external_id, effective_date, arr" in page
    response = upload(
        client,
        "arr",
        "customer_external_id,effective_date,arr\nACME,2026-01-01,1500\n",
        capture=django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get()
    assert response.request["PATH_INFO"] == reverse(
        "admin:metrics_import_job", kwargs={"job_id": job.pk}
    )
    page = response.content.decode()
    assert "Imported upload.csv: 1 created, 0 updated, 0 unchanged." in page
    assert reverse("admin:metrics_arrrecord_changelist") in page
    assert 'hx-trigger="every 1s"' not in page  # finished: the page stops polling
    assert ArrRecord.objects.get(effective_date=date(2026, 1, 1)).arr == Decimal("1500.00")
    assert signals == [("arr", {book.csm_id})]
    assert (job.status, job.created, bytes(job.data)) == ("done", 1, b"")


def test_admin_upload_shows_the_row_errors_and_writes_nothing(
    client, admin_user, book, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    before = snapshot()
    response = upload(
        client,
        "nps",
        "customer_external_id,respondent,responded_at,score\n"
        "ACME,a@acme.example,2026-01-01,10\nACME,b@acme.example,2026-01-01,12\n"
        "NOPE,c@acme.example,2026-01-01,1\n",
        name="survey.csv",
        capture=django_capture_on_commit_callbacks,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported: 2 errors." in page
    assert "survey.csv:3: score: score 12 is outside 0-10" in page
    assert "survey.csv:4: customer_external_id: unknown customer &#x27;NOPE&#x27;" in page
    assert snapshot() == before
    assert ImportJob.objects.get().status == "refused"


def test_a_file_refused_as_a_whole_stays_on_the_form(client, admin_user, book):
    client.force_login(admin_user)
    response = upload(client, "arr", "customer,day,amount\nACME,2026-01-01,10\n", name="x.csv")
    assert response.status_code == 200
    assert "x.csv:1: customer_external_id: missing column" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_import_page_shows_the_running_imports_progress(client, admin_user, book):
    client.force_login(admin_user)
    job = ImportJob.objects.create(
        kind="arr", file_name="big.csv", data=b"...", created_by=admin_user
    )
    url = reverse("admin:metrics_import_job", kwargs={"job_id": job.pk})
    page = client.get(url).content.decode()
    assert "Waiting for a worker to start the import" in page
    assert 'hx-trigger="every 1s"' in page and "<progress" in page

    ImportJob.objects.filter(pk=job.pk).update(status="running")
    progress = import_jobs.JobProgress(job.pk)
    progress.start("Writing rows", 100_000)
    progress.written = 0  # updates are written at most every PROGRESS_INTERVAL seconds
    progress.update(40_000)
    polled = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert polled.lstrip().startswith('<div id="import-job"')  # the part the poll swaps
    assert "Writing rows: 40,000 of 100,000" in polled
    assert 'value="40000" max="100000"' in polled


def test_an_import_job_runs_once(admin_user, book, django_capture_on_commit_callbacks):
    content = b"customer_external_id,effective_date,arr\nACME,2026-01-01,1500\n"
    job = uploads.import_job_create(kind="arr", file_name="a.csv", data=content, by=admin_user)
    assert import_jobs.import_job_run(job.pk).status == "done"
    assert import_jobs.import_job_run(job.pk) is None  # a redelivered task finds it done
    assert ArrRecord.objects.filter(effective_date=date(2026, 1, 1)).count() == 1


def test_admin_upload_of_users_links_back_to_the_user_list(
    client, admin_user, team, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    response = upload(
        client,
        "users",
        "email,name,team,role\nnew@example.com,New,Enterprise,member\n",
        capture=django_capture_on_commit_callbacks,
    )
    assert reverse("admin:people_user_changelist") in response.content.decode()
    assert team.memberships.filter(user__email="new@example.com").exists()


def test_unknown_import_kind_is_404(client, admin_user):
    client.force_login(admin_user)
    assert (
        client.get(reverse("admin:metrics_import", kwargs={"kind": "bananas"})).status_code == 404
    )


def test_admin_edits_send_customer_data_changed(
    client, admin_user, book, member, teammate, signals, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    url = reverse("admin:metrics_customer_change", args=[book.pk])
    record = book.arr_records.get()
    form = {
        "external_id": "ACME",
        "name": "Acme Corp",
        "csm": teammate.pk,
        "segment": "",
        "arr_records-TOTAL_FORMS": "1",
        "arr_records-INITIAL_FORMS": "1",
        "arr_records-MIN_NUM_FORMS": "0",
        "arr_records-MAX_NUM_FORMS": "1000",
        "arr_records-0-id": record.pk,
        "arr_records-0-customer": book.pk,
        "arr_records-0-effective_date": "2025-01-01",
        "arr_records-0-arr": "1100.00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response.url == reverse("admin:metrics_customer_changelist")
    assert Customer.objects.get(pk=book.pk).csm == teammate
    assert ArrRecord.objects.get(pk=record.pk).arr == Decimal("1100.00")
    assert signals == [("customers", {member.pk, teammate.pk})]
    response_delete = reverse(
        "admin:metrics_npsresponse_delete", args=[NpsResponse.objects.get().pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.post(response_delete, {"post": "yes"})
    assert deleted.status_code == 302
    assert deleted.url == reverse("admin:metrics_npsresponse_changelist")
    assert signals[-1] == ("nps", {teammate.pk})
    changelist = reverse("admin:metrics_qbr_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            changelist,
            {
                "action": "delete_selected",
                "_selected_action": [Qbr.objects.get().pk],
                "post": "yes",
            },
        )
    assert not Qbr.objects.exists()
    assert signals[-1] == ("qbrs", {teammate.pk})


# --- the API ---------------------------------------------------------------------------------


def post(client, kind: str, payload, **headers):
    return client.post(
        f"/api/data/{kind}/", json.dumps(payload), content_type="application/json", **headers
    )


def test_api_import_for_a_staff_session(
    client, admin_user, book, signals, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    payload = [
        {
            "customer_external_id": "ACME",
            "scheduled_date": "2026-01-10",
            "completed_at": "2026-01-12",
        },
        {"customer_external_id": "GLOBEX", "scheduled_date": "2026-02-10", "completed_at": None},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "qbrs", payload)
    assert response.status_code == 200
    assert response.json() == {"kind": "qbrs", "created": 1, "updated": 1, "unchanged": 0}
    assert Qbr.objects.get(customer=book).completed_at is not None
    assert signals == [("qbrs", {book.csm_id, Customer.objects.get(external_id="GLOBEX").csm_id})]
    assert post(client, "qbrs", payload).json()["unchanged"] == 2


def test_api_accepts_json_numbers(client, admin_user, book):
    client.force_login(admin_user)
    response = post(
        client,
        "arr",
        [{"customer_external_id": "ACME", "effective_date": "2026-01-01", "arr": 1250.5}],
    )
    assert response.status_code == 200
    assert ArrRecord.objects.get(effective_date=date(2026, 1, 1)).arr == Decimal("1250.50")


def test_api_import_rejects_bad_rows_with_the_row_errors(client, admin_user, book):
    client.force_login(admin_user)
    before = snapshot()
    response = post(
        client,
        "arr",
        [
            {"customer_external_id": "ACME", "effective_date": "2026-01-01", "arr": "10"},
            {"customer_external_id": "ACME", "effective_date": "2026-01-02", "arr": "-1"},
            {"customer_external_id": "ZZZ", "effective_date": "2026-01-03", "arr": "1", "x": 1},
            {"customer_external_id": "ACME", "arr": True},
        ],
    )
    assert response.status_code == 400
    # Malformed objects are reported as such; well-formed ones are checked cell by cell.
    assert response.json() == {
        "detail": "Nothing was imported: 4 error(s).",
        "code": "invalid",
        "errors": [
            {
                "row": 2,
                "field": "arr",
                "message": "negative ARR -1: ARR is 0 or more (0 means churned)",
            },
            {
                "row": 3,
                "field": "x",
                "message": (
                    "unknown field: the fields are customer_external_id, effective_date, arr"
                ),
            },
            {"row": 4, "field": "effective_date", "message": "missing field"},
            {"row": 4, "field": "arr", "message": "must be a string, a number or null"},
        ],
    }
    assert snapshot() == before


def test_api_body_must_be_a_list(client, admin_user):
    client.force_login(admin_user)
    response = post(client, "arr", {"customer_external_id": "ACME"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 0, "field": "(body)", "message": "send a JSON list of objects"}
    ]


def test_api_unknown_kind_is_404(client, admin_user):
    client.force_login(admin_user)
    assert post(client, "bananas", []).status_code == 404


@pytest.mark.parametrize(
    ("who", "scopes", "expected"),
    [
        ("admin", ["import"], 200),
        ("admin", ["read", "write"], 403),
        ("member", ["import"], 403),
        ("admin-session", None, 200),
        ("member-session", None, 403),
        ("anonymous", None, 401),
    ],
)
def test_api_import_permissions(client, admin_user, member, book, who, scopes, expected):
    user = admin_user if who.startswith("admin") else member
    headers = {}
    if scopes is not None:
        _, secret = api_token_create(user=user, name="sync", scopes=scopes)
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    elif who != "anonymous":
        client.force_login(user)
    payload = [{"customer_external_id": "ACME", "due_date": "2026-05-01", "outcome": "pending"}]
    response = post(client, "renewals", payload, **headers)
    assert response.status_code == expected
    assert book.renewals.filter(due_date=date(2026, 5, 1)).exists() == (expected == 200)
