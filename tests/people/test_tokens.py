"""Personal API tokens on the profile page: created with scopes, shown once, revoked for good."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals_project.people.models import ApiToken
from goals_project.people.tokens import api_token_create

pytestmark = pytest.mark.django_db


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_profile_needs_login(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_a_new_token_is_shown_once_and_works_for_its_scopes(client, member):
    client.force_login(member)
    page = client.post(reverse("profile"), {"name": "CRM sync", "scopes": ["read"]})
    assert page.status_code == 200
    assert "shown only once" in page.text
    secret = re.search(r"(gp_[A-Za-z0-9_\-]+)", page.text).group(1)
    token = ApiToken.objects.get(user=member)
    assert token.key_hash != secret and secret not in token.key_hash
    # The next visit lists the token by its prefix only.
    again = client.get(reverse("profile"))
    assert "CRM sync" in again.text
    assert token.prefix in again.text
    assert secret not in again.text

    client.logout()
    assert client.get("/api/goals/", **bearer(secret)).status_code == 200
    refused = client.post("/api/goals/", {}, content_type="application/json", **bearer(secret))
    assert refused.status_code == 403
    assert "write" in refused.json()["detail"]


def test_token_form_errors_are_shown_and_nothing_is_created(client, member):
    client.force_login(member)
    page = client.post(reverse("profile"), {"name": "", "scopes": []})
    assert "This field is required." in page.text
    assert "Choose at least one scope." in page.text
    assert not ApiToken.objects.exists()


def test_a_revoked_token_no_longer_authenticates(client, member):
    token, secret = api_token_create(user=member, name="script", scopes=["read", "write"])
    assert client.get("/api/goals/", **bearer(secret)).status_code == 200
    client.force_login(member)
    response = client.post(reverse("token_revoke", args=[token.pk]), follow=True)
    assert "is revoked" in response.text
    client.logout()
    denied = client.get("/api/goals/", **bearer(secret))
    assert denied.status_code == 401
    assert denied.json() == {
        "detail": "This API token is unknown or revoked.",
        "code": "authentication_failed",
        "errors": [],
    }


def test_nobody_revokes_someone_elses_token(client, member, teammate):
    token, secret = api_token_create(user=member, name="mine", scopes=["read"])
    client.force_login(teammate)
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).is_active


def test_unknown_token_and_missing_credentials_answer_401(client):
    assert client.get("/api/goals/", **bearer("gp_nope")).status_code == 401
    response = client.get("/api/goals/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_the_last_use_is_recorded_to_the_minute(client, member):
    token, secret = api_token_create(user=member, name="script", scopes=["read"])
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False):
        assert client.get("/api/goals/", **bearer(secret)).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)
    # Within the minute a call writes nothing (one query fewer than the first call).
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 50, tzinfo=dt.UTC), tick=False):
        with CaptureQueriesContext(connection) as calls:
            assert client.get("/api/goals/", **bearer(secret)).status_code == 200
        assert not any(q["sql"].startswith("UPDATE") for q in calls.captured_queries)
        token.refresh_from_db()
        assert token.last_used_at == dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 1, 5, tzinfo=dt.UTC), tick=False):
        client.get("/api/goals/", **bearer(secret))
        token.refresh_from_db()
        assert token.last_used_at == dt.datetime(2026, 3, 2, 9, 1, 5, tzinfo=dt.UTC)
    client.force_login(member)
    assert "2026-03-02 09:01" in client.get(reverse("profile")).text
