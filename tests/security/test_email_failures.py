"""Emails are never lost silently: a goal name is one line (so no header is refused), a text
from before that rule still makes a one-line subject, and a send that keeps failing is retried
and then recorded where an admin sees it."""

import socket

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.urls import reverse

from checkins.models import SupportRequest
from checkins.services import support_request_open
from goals.models import Goal
from goals_project.celery import app as celery_app
from notifications.kinds import preference_kinds
from notifications.models import Delivery, Notification
from notifications.preferences import notification_settings_update
from notifications.tasks import notification_email_send
from tests.builders import GoalFactory, reach, set_at_quarter_start

pytestmark = pytest.mark.django_db


def immediately(user) -> None:
    notification_settings_update(
        user=user,
        weekly_digest=True,
        deliveries={kind.key: Delivery.IMMEDIATE for kind in preference_kinds()},
    )


@pytest.fixture
def unreachable_smtp(settings):
    """A real SMTP client pointed at a port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }
    return port


@pytest.fixture
def worker_retries(monkeypatch):
    """Run tasks as a worker would: a retry is tried again (eager runs otherwise stop at the
    first retry and raise it to the caller, which is what `make run` and the suite want)."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


@pytest.fixture
def goal(quarter, team, member):
    return set_at_quarter_start(
        GoalFactory(
            period=quarter,
            team=team,
            owner=member,
            name="Renew Acme",
            goal_type=Goal.Type.METRIC,
            metric_key="nrr",
            task_target=None,
            baseline=100,
            target=105,
        )
    )


def test_a_failing_notification_email_is_retried_then_recorded_for_admins(
    admin_client, member, goal, unreachable_smtp, worker_retries, django_capture_on_commit_callbacks
):
    immediately(member)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        reach(goal, Goal.Status.ACHIEVED, value="106")
    assert queued  # the email is sent after commit, by a task
    notification = Notification.objects.get(user=member)
    # The task as a worker runs it: Celery's own retries (with backoff on a worker), then failure.
    result = notification_email_send.apply(args=[notification.pk], throw=False)
    assert result.failed()
    notification.refresh_from_db()
    assert notification.emailed_at is None  # the claim was rolled back: nothing pretends sent
    assert notification.email_attempts == 6  # the first try and 5 retries
    assert notification.email_failed_at is not None
    assert "ConnectionRefusedError" in notification.email_error
    page = admin_client.get(
        reverse("admin:notifications_notification_changelist") + "?email=failed"
    )
    assert "You reached the target of “Renew Acme”" in page.text
    assert "ConnectionRefusedError" in page.text


def test_a_failing_support_request_email_is_recorded_on_the_request(
    admin_client,
    quarter,
    team,
    lead,
    member,
    goal,
    unreachable_smtp,
    worker_retries,
    django_capture_on_commit_callbacks,
):
    immediately(lead)
    with django_capture_on_commit_callbacks(execute=False) as opened:
        asked = support_request_open(goal=goal, requester=member, message="Call their CFO?")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        for callback in opened:
            callback()  # the lead's notification; its email is queued after commit
    assert queued
    notification = Notification.objects.get(user=lead, kind="support_request")
    result = notification_email_send.apply(args=[notification.pk], throw=False)
    assert result.failed()
    asked = SupportRequest.objects.get(pk=asked.pk)
    assert asked.email_failed_at is not None
    assert asked.email_error.startswith("To lead@example.com: ConnectionRefusedError")
    page = admin_client.get(
        reverse("admin:checkins_supportrequest_changelist") + "?email_failed_at__isempty=0"
    )
    assert "Renew Acme" in page.text


def test_a_flaky_mail_server_gets_the_email_on_a_retry(
    member, goal, settings, worker_retries, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "tests.security.test_email_failures.FailsOnce"}}
    FailsOnce.failures = 1
    immediately(member)
    with django_capture_on_commit_callbacks(execute=False):
        reach(goal, Goal.Status.ACHIEVED, value="106")
    notification = Notification.objects.get(user=member)
    assert notification_email_send.apply(args=[notification.pk], throw=False).successful()
    notification.refresh_from_db()
    assert notification.emailed_at is not None and notification.email_attempts == 1
    assert [message.subject for message in mail.outbox] == [
        "Goalpost: You reached the target of “Renew Acme”"
    ]


class FailsOnce(locmem.EmailBackend):
    """A mail server that refuses the first connection, then accepts (a network blip)."""

    failures = 0

    def send_messages(self, messages):
        if FailsOnce.failures:
            FailsOnce.failures -= 1
            raise ConnectionResetError("connection reset by peer")
        return super().send_messages(messages)


def test_a_name_from_before_the_one_line_rule_still_makes_a_one_line_subject(
    member, goal, django_capture_on_commit_callbacks
):
    # Stored before names were one line (the services refuse it now).
    Goal.objects.filter(pk=goal.pk).update(name="Renew\nAcme")
    goal.refresh_from_db()
    immediately(member)
    with django_capture_on_commit_callbacks(execute=True):
        reach(goal, Goal.Status.ACHIEVED, value="106")
    [sent] = mail.outbox
    assert sent.subject == "Goalpost: You reached the target of “Renew Acme”"
    assert Notification.objects.get(user=member).emailed_at is not None
