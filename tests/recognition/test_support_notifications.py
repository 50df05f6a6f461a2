"""Support requests reach the notification centre of whoever is asked, and their outcome reaches
the requester; checkins emails them itself, so the centre adds no second email."""

from django.core import mail

from checkins.services import (
    support_request_open,
    support_request_reply,
    support_request_resolve,
)
from notifications.models import Notification


def test_a_request_to_a_teammate_notifies_that_teammate(
    member_goal, member, teammate, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        support_request_open(
            goal=member_goal, requester=member, message="Can you join my QBR?", addressee=teammate
        )

    note = Notification.objects.get(user=teammate)
    assert note.kind == "support_request"
    assert note.title == "Mo Member asked for help on “QBR completion”"
    assert note.body == "Can you join my QBR?"
    assert note.url == "/attention/"
    assert not Notification.objects.filter(user__in=[lead, member]).exists()
    assert len(mail.outbox) == 1  # the one checkins sends


def test_a_request_without_addressee_notifies_the_leads(
    member_goal, member, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        support_request_open(goal=member_goal, requester=member, message="Blocked on legal")

    assert list(Notification.objects.values_list("user__email", flat=True)) == ["lead@example.com"]


def test_the_requester_hears_about_a_reply_and_the_resolution(
    member_goal, member, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = support_request_open(goal=member_goal, requester=member, message="Help")
    with django_capture_on_commit_callbacks(execute=True):
        support_request_reply(support_request=request, by=lead, reply="On it")
    with django_capture_on_commit_callbacks(execute=True):
        support_request_resolve(support_request=request, by=lead)

    titles = list(
        Notification.objects.filter(user=member).order_by("pk").values_list("title", flat=True)
    )
    assert titles == [
        "Your request for help on “QBR completion” was answered",
        "Your request for help on “QBR completion” was resolved",
    ]


def test_closing_your_own_request_tells_nobody(
    member_goal, member, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = support_request_open(goal=member_goal, requester=member, message="Help")
    with django_capture_on_commit_callbacks(execute=True):
        support_request_resolve(support_request=request, by=member)

    assert not Notification.objects.filter(user=member).exists()
