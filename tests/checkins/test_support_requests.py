import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkins import signals
from checkins.models import CheckIn, SupportRequest
from notifications.preferences import delivery_for, notification_settings_update
from tests.builders import WEDNESDAY, GoalFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


@pytest.fixture
def signals_sent():
    """What the app told its listeners (the in-app notification centre listens the same way)."""
    sent = []

    def record(signal_name):
        def receiver(sender, **kwargs):
            sent.append((signal_name, kwargs))

        return receiver

    receivers = {
        signal: record(name)
        for name, signal in [
            ("opened", signals.support_request_opened),
            ("changed", signals.support_request_changed),
            ("checkin", signals.checkin_submitted),
        ]
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, weak=False)
    yield sent
    for signal, receiver in receivers.items():
        signal.disconnect(receiver)


def ask_for_help(client, goal, message, addressee=""):
    return client.post(
        f"/check-in/goals/{goal.pk}/",
        {
            f"goal-{goal.pk}-confidence": "2",
            f"goal-{goal.pk}-blockers": "Waiting on legal",
            f"goal-{goal.pk}-support_message": message,
            f"goal-{goal.pk}-support_addressee": addressee,
        },
        HTTP_HX_REQUEST="true",
    )


def test_support_request_flow_from_check_in_to_resolved(
    client, member, lead, member_goal, signals_sent, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_help(client, member_goal, "Can you call their VP?")
    assert "Help asked of your lead(s)" in response.text
    assert "Open" in response.text
    request = SupportRequest.objects.get()
    assert (request.requester, request.addressee, request.status) == (member, None, "open")
    assert request.checkin == CheckIn.objects.get()
    # The lead is emailed (the default for support requests is "immediately").
    assert [message.to for message in mail.outbox] == [["lead@example.com"]]
    assert mail.outbox[0].subject == "Mo Member asks for help on “Close 10 onboarding tasks”"
    assert "Can you call their VP?" in mail.outbox[0].body
    assert "/attention/" in mail.outbox[0].alternatives[0].content
    assert [name for name, _ in signals_sent] == ["opened", "checkin"]

    client.force_login(lead)
    queue = client.get("/attention/")
    assert "Can you call their VP?" in queue.text
    assert "Waiting on legal" in queue.text  # the blocker, in its own section
    with django_capture_on_commit_callbacks(execute=True):
        acknowledged = client.post(
            f"/support-requests/{request.pk}/acknowledge/", HTTP_HX_REQUEST="true"
        )
    assert "Acknowledged." in acknowledged.text
    with django_capture_on_commit_callbacks(execute=True):
        resolved = client.post(
            f"/support-requests/{request.pk}/resolve/",
            {"reply": "Called her, renewal is on."},
            HTTP_HX_REQUEST="true",
        )
    assert "Resolved." in resolved.text
    request.refresh_from_db()
    assert (request.status, request.reply, request.resolved_by) == (
        "resolved",
        "Called her, renewal is on.",
        lead,
    )
    assert "Can you call their VP?" not in client.get("/attention/").text
    # The requester hears back at each step.
    assert [message.subject for message in mail.outbox[1:]] == [
        "Your request for help on “Close 10 onboarding tasks” is acknowledged",
        "Your request for help on “Close 10 onboarding tasks” is resolved",
    ]
    assert "Called her, renewal is on." in mail.outbox[2].body
    changes = [
        (kw["old_status"], kw["new_status"]) for name, kw in signals_sent if name == "changed"
    ]
    assert changes == [("open", "acknowledged"), ("acknowledged", "resolved")]

    client.force_login(member)
    assert "Called her, renewal is on." in client.get("/check-in/").text


def test_a_request_to_a_chosen_teammate_goes_to_them_only(
    client, member, lead, teammate, member_goal, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_help(client, member_goal, "Share your QBR deck?", addressee=str(teammate.pk))
    assert [message.to for message in mail.outbox] == [["mate@example.com"]]
    client.force_login(teammate)
    assert "Share your QBR deck?" in client.get("/attention/").text
    client.force_login(lead)
    assert "Share your QBR deck?" not in client.get("/attention/").text


@pytest.mark.parametrize(("choice", "emails"), [("immediate", 1), ("digest", 0), ("off", 0)])
def test_the_addressees_preference_decides_the_email(
    client, member, lead, member_goal, choice, emails, django_capture_on_commit_callbacks
):
    notification_settings_update(
        user=lead, weekly_digest=True, deliveries={"support_request": choice}
    )
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_help(client, member_goal, "Help")
    assert len(mail.outbox) == emails
    assert SupportRequest.objects.count() == 1  # the request itself is always there


def test_a_team_without_another_lead_needs_a_chosen_teammate(client, member, member_goal):
    client.force_login(member)
    response = ask_for_help(client, member_goal, "Help")
    assert "The team has no other lead: choose a teammate to ask." in response.text
    assert not SupportRequest.objects.exists()
    assert not CheckIn.objects.exists()


def test_who_may_act_on_a_request(client, member, lead, teammate, other_member, member_goal):
    request = SupportRequest.objects.create(goal=member_goal, requester=member, message="Help")
    client.force_login(other_member)
    assert client.post(f"/support-requests/{request.pk}/acknowledge/").status_code == 404
    client.force_login(teammate)  # neither asked nor a lead: sees nothing of it
    assert client.post(f"/support-requests/{request.pk}/resolve/").status_code == 404
    client.force_login(member)  # the requester may close it, not acknowledge it
    assert client.post(f"/support-requests/{request.pk}/acknowledge/").status_code == 403
    assert client.post(f"/support-requests/{request.pk}/resolve/").status_code == 302
    request.refresh_from_db()
    assert request.status == "resolved"


def test_a_reply_needs_text_and_a_resolved_request_takes_none(client, member, lead, member_goal):
    request = SupportRequest.objects.create(goal=member_goal, requester=member, message="Help")
    client.force_login(lead)
    empty = client.post(
        f"/support-requests/{request.pk}/reply/", {"reply": " "}, HTTP_HX_REQUEST="true"
    )
    assert "Write a reply first." in empty.text
    client.post(f"/support-requests/{request.pk}/resolve/")
    late = client.post(f"/support-requests/{request.pk}/reply/", {"reply": "Too late"}, follow=True)
    assert "This request is already resolved." in late.text
    request.refresh_from_db()
    assert request.reply == ""


def test_acknowledging_twice_changes_it_once(
    client, member, lead, member_goal, signals_sent, django_capture_on_commit_callbacks
):
    request = SupportRequest.objects.create(goal=member_goal, requester=member, message="Help")
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/support-requests/{request.pk}/acknowledge/")
        client.post(f"/support-requests/{request.pk}/acknowledge/")
    assert [name for name, _ in signals_sent] == ["changed"]
    assert len(mail.outbox) == 1


def test_a_lead_acknowledges_a_blocker(client, member, lead, member_goal):
    checkin = CheckIn.objects.create(
        goal=member_goal, user=member, week_start="2026-11-23", confidence=2, blockers="No access"
    )
    client.force_login(lead)
    assert "No access" in client.get("/attention/").text
    response = client.post(f"/check-ins/{checkin.pk}/acknowledge-blocker/", HTTP_HX_REQUEST="true")
    assert "Acknowledged." in response.text
    assert "No access" not in client.get("/attention/").text
    client.force_login(member)
    assert client.post(f"/check-ins/{checkin.pk}/acknowledge-blocker/").status_code == 403


def test_the_nav_count_adds_up_the_queue(client, member, lead, member_goal):
    SupportRequest.objects.create(goal=member_goal, requester=member, message="Help")
    CheckIn.objects.create(
        goal=member_goal, user=member, week_start="2026-11-23", confidence=2, blockers="No access"
    )
    client.force_login(lead)
    page = client.get("/check-in/")
    assert 'hx-get="/attention/count/"' in page.text
    # One support request, one blocker, and Mo did not check in last week.
    queue = client.get("/attention/")
    assert 'Missed check-ins last week <span class="muted">(1)</span>' in queue.text
    assert ">3</span>" in client.get("/attention/count/").text
    client.force_login(member)
    assert client.get("/attention/count/").text.strip() == ""


def test_the_queue_costs_the_same_queries_for_one_item_or_many(
    client, lead, team, quarter, member_goal, member
):
    client.force_login(lead)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/attention/").status_code == 200
        return len(queries)

    SupportRequest.objects.create(goal=member_goal, requester=member, message="Help")
    CheckIn.objects.create(
        goal=member_goal, user=member, week_start="2026-11-23", confidence=2, blockers="x"
    )
    one = count()
    for n in range(4):
        person = MembershipFactory(team=team).user
        goal = GoalFactory(period=quarter, team=team, owner=person)
        SupportRequest.objects.create(goal=goal, requester=person, message=f"Help {n}")
        CheckIn.objects.create(
            goal=goal, user=person, week_start="2026-11-23", confidence=2, blockers="y"
        )
    assert count() == one


def test_preferences_page_saves_each_kind(client, member):
    client.force_login(member)
    page = client.get("/preferences/notifications/")
    assert "Support requests addressed to me" in page.text
    assert "Early warnings on goals I own or lead" in page.text
    response = client.post(
        "/preferences/notifications/",
        {
            "support_request": "digest",
            "support_update": "off",
            "checkin_reminder": "off",
            "achievement": "immediate",
            "celebration": "digest",
            "period_summary": "immediate",
            "early_warning": "digest",
        },
        follow=True,
    )
    assert "Notification preferences saved." in response.text
    assert delivery_for(member, "early_warning") == "digest"
    member.refresh_from_db()
    assert delivery_for(member, "support_request") == "digest"
    assert delivery_for(member, "checkin_reminder") == "off"
    assert member.notification_settings.weekly_digest is False  # unchecked box
    bad = client.post("/preferences/notifications/", {"support_request": "sometimes"})
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.text
