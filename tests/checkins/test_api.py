import pytest
import time_machine

from checkins.models import CheckIn, SupportRequest
from goals_project.people.tokens import api_token_create

from ..factories import GoalFactory
from .conftest import WEDNESDAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


def bearer(user, *scopes):
    _, secret = api_token_create(user=user, name="test", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_check_in_through_the_api_creates_then_updates(client, member, member_goal):
    auth = bearer(member, "read", "write")
    url = f"/api/goals/{member_goal.pk}/check-ins/"
    created = client.post(
        url,
        {"confidence": 4, "note": "On it", "tasks_done": 3},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201
    assert created.json()["week"] == "2026-W48"
    assert created.json()["tasks_done"] == 3
    updated = client.post(url, {"confidence": 5}, content_type="application/json", **auth)
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    listing = client.get(url, **auth).json()
    assert listing["count"] == 1
    assert listing["results"][0]["confidence"] == 5
    assert listing["results"][0]["tasks_done"] == 3  # kept from the first save this week


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"confidence": 6}, "confidence", "Ensure this value is less than or equal to 5."),
        ({}, "confidence", "This field is required."),
        (
            {"confidence": 3, "note": "x" * 2001},
            "note",
            "Ensure this field has no more than 2000 characters.",
        ),
        (
            {"confidence": 3, "value": "12"},
            "value",
            "Only a metric goal takes a value; enter tasks done or tick milestones instead.",
        ),
    ],
)
def test_invalid_check_ins_are_400_with_the_field(
    client, member, member_goal, payload, field, message
):
    response = client.post(
        f"/api/goals/{member_goal.pk}/check-ins/",
        payload,
        content_type="application/json",
        **bearer(member, "write"),
    )
    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert not CheckIn.objects.exists()


def test_api_rights(client, member, other_member, teammate_goal, quarter):
    hidden = GoalFactory(period=quarter, team=other_member.membership.team, owner=other_member)
    auth = bearer(member, "read", "write")
    assert client.get(f"/api/goals/{hidden.pk}/check-ins/", **auth).status_code == 404
    assert (
        client.post(
            f"/api/goals/{hidden.pk}/check-ins/",
            {"confidence": 3},
            content_type="application/json",
            **auth,
        ).status_code
        == 404
    )
    forbidden = client.post(
        f"/api/goals/{teammate_goal.pk}/check-ins/",
        {"confidence": 3},
        content_type="application/json",
        **auth,
    )
    assert forbidden.status_code == 403
    read_only = client.post(
        f"/api/goals/{teammate_goal.pk}/check-ins/",
        {"confidence": 3},
        content_type="application/json",
        **bearer(member, "read"),
    )
    assert read_only.status_code == 403
    assert "lacks the `write` scope" in read_only.json()["detail"]
    assert client.get(f"/api/goals/{teammate_goal.pk}/check-ins/").status_code in (401, 403)


def test_support_request_through_the_api(client, member, lead, member_goal):
    opened = client.post(
        f"/api/goals/{member_goal.pk}/support-requests/",
        {"message": "Intro to their CFO?"},
        content_type="application/json",
        **bearer(member, "write"),
    )
    assert opened.status_code == 201
    assert opened.json()["addressee_name"] == "Team leads"
    pk = opened.json()["id"]
    lead_auth = bearer(lead, "read", "write")
    assert [
        row["id"] for row in client.get("/api/support-requests/", **lead_auth).json()["results"]
    ] == [pk]
    replied = client.post(
        f"/api/support-requests/{pk}/reply/",
        {"reply": "Friday works"},
        content_type="application/json",
        **lead_auth,
    )
    assert (replied.status_code, replied.json()["status"], replied.json()["reply"]) == (
        200,
        "acknowledged",
        "Friday works",
    )
    resolved = client.post(
        f"/api/support-requests/{pk}/resolve/", {}, content_type="application/json", **lead_auth
    )
    assert resolved.json()["status"] == "resolved"
    assert SupportRequest.objects.get().status == "resolved"
    member_auth = bearer(member, "read", "write")
    assert client.post(f"/api/support-requests/{pk}/acknowledge/", **member_auth).status_code == 403


def test_a_form_encoded_body_is_refused_not_read_as_empty(client, member, lead, member_goal):
    request = SupportRequest.objects.create(goal=member_goal, requester=member, message="Help")
    response = client.post(
        f"/api/support-requests/{request.pk}/resolve/",
        {"reply": "Done"},
        **bearer(lead, "write"),
    )
    assert response.status_code == 415
    request.refresh_from_db()
    assert request.status == "open"


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"confidence": 3, "note": 12}, "note"), ({"message": 12}, "message")],
)
def test_text_fields_take_strings_only(client, member, member_goal, payload, field):
    kind = "check-ins" if "confidence" in payload else "support-requests"
    response = client.post(
        f"/api/goals/{member_goal.pk}/{kind}/",
        payload,
        content_type="application/json",
        **bearer(member, "write"),
    )
    assert response.status_code == 400
    assert response.json()[field] == ["Not a valid string."]


def test_a_page_that_is_not_a_number_is_404(client, member):
    auth = bearer(member, "read")
    assert client.get("/api/support-requests/?page=", **auth).status_code == 404
    assert client.get("/api/support-requests/?page=1", **auth).status_code == 200
