"""API tokens act only within their scopes and stop working everywhere once revoked (or their
owner is deactivated); failed logins are throttled per account and address, and the lock-out
ends after the cool-off."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from goals.models import Goal
from goals_project.people.tokens import api_token_create, api_token_revoke
from tests.builders import PASSWORD, GoalFactory, GoalPeriodFactory

pytestmark = pytest.mark.django_db

ARR = [{"customer_external_id": "NOPE", "effective_date": "2026-03-01", "arr": "1"}]


@pytest.fixture
def goal(team, member):
    return GoalFactory(period=GoalPeriodFactory(), team=team, owner=member)


def call(client, secret, method, url, body=None):
    return getattr(client, method)(
        url, body or {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def writes(goal):
    return [
        ("post", "/api/goals/", {"name": "x"}),
        ("patch", f"/api/goals/{goal.pk}/", {"name": "renamed"}),
        ("delete", f"/api/goals/{goal.pk}/", None),
        ("post", f"/api/goals/{goal.pk}/progress/", {"tasks_done": 3}),
        ("post", f"/api/goals/{goal.pk}/refresh/", None),
        (
            "post",
            f"/api/goals/{goal.pk}/check-ins/",
            {"progress_notes": "x", "confidence_level": 3},
        ),
        ("post", "/api/goal-periods/", {"name": "x"}),
    ]


def test_a_read_token_is_refused_every_write(client, admin_user, goal):
    _, secret = api_token_create(user=admin_user, name="read", scopes=["read"])
    assert call(client, secret, "get", f"/api/goals/{goal.pk}/").status_code == 200
    for method, url, body in writes(goal):
        response = call(client, secret, method, url, body)
        assert response.status_code == 403, url
        assert "write" in response.json()["detail"]
    assert call(client, secret, "post", "/api/data/arr/", ARR).status_code == 403
    goal.refresh_from_db()
    assert goal.name != "renamed" and goal.archived_at is None


def test_an_import_token_imports_but_reads_nothing_else(client, admin_user, goal):
    _, secret = api_token_create(user=admin_user, name="etl", scopes=["import"])
    assert call(client, secret, "get", "/api/goals/").status_code == 403
    refused = call(client, secret, "post", "/api/data/arr/", ARR)
    assert refused.status_code == 400  # past the permission check: the row itself is wrong
    assert refused.json()["errors"][0]["field"] == "customer_external_id"


def test_a_write_token_cannot_import(client, admin_user):
    _, secret = api_token_create(user=admin_user, name="rw", scopes=["read", "write"])
    assert call(client, secret, "post", "/api/data/arr/", ARR).status_code == 403


def test_the_import_scope_does_not_make_a_lead_staff(client, lead):
    _, secret = api_token_create(user=lead, name="etl", scopes=["import"])
    assert call(client, secret, "post", "/api/data/arr/", ARR).status_code == 403


def test_a_revoked_token_is_refused_on_every_endpoint(client, admin_user, goal):
    token, secret = api_token_create(
        user=admin_user, name="all", scopes=["read", "write", "import"]
    )
    api_token_revoke(token=token)
    for method, url, body in [("get", "/api/goals/", None), *writes(goal)]:
        response = call(client, secret, method, url, body)
        assert response.status_code == 401, url
    assert call(client, secret, "post", "/api/data/arr/", ARR).status_code == 401
    assert Goal.objects.get(pk=goal.pk).archived_at is None


def test_a_deactivated_users_token_stops_working(client, member, goal):
    _, secret = api_token_create(user=member, name="mine", scopes=["read"])
    assert call(client, secret, "get", "/api/goals/").status_code == 200
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert call(client, secret, "get", "/api/goals/").status_code == 401


def login(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_login_throttling_locks_one_account_from_one_address_until_the_cool_off(
    client, member, teammate, settings
):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, member.email, "guess")
        assert login(client, member.email, PASSWORD).status_code == 429
        # Another account from the same address is not locked by the attack on this one.
        assert login(client, teammate.email, PASSWORD).status_code == 302
        client.logout()
    cool_off = dt.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) + cool_off):
        assert timezone.now() > dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC)
        assert login(client, member.email, PASSWORD).status_code == 302


CASE_VARIANTS = [
    "member@example.com",
    "Member@Example.com",
    "MEMBER@EXAMPLE.COM",
    " member@example.com ",
]


def test_case_variants_of_an_email_share_one_lock_out(client, member, settings):
    # Guesses spread over spellings of the same address count for the one account...
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, CASE_VARIANTS[attempt % len(CASE_VARIANTS)], "guess")
    # ...so once it is locked, no spelling gets in, not even with the right password.
    for variant in CASE_VARIANTS:
        response = login(client, variant, PASSWORD)
        assert response.status_code == 429, variant
        assert "Too many failed log-in attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_the_admin_login_counts_case_variants_as_one_account(client, admin_user, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        email = "admin@example.com" if attempt % 2 else "ADMIN@example.com"
        client.post("/admin/login/", {"username": email, "password": "guess"})
    response = client.post("/admin/login/", {"username": "Admin@Example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_address_guessing_across_accounts_is_throttled(client, member, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    # Fewer than the per-account limit on each account, but many accounts from one address.
    for number in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        assert login(client, f"someone{number}@example.com", "guess").status_code in (200, 429)
    response = login(client, member.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    response = client.post(
        "/accounts/login/",
        {"username": member.email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
