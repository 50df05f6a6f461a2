"""The notification centre: bell, list, mark read; emails per the user's preference."""

import datetime as dt

import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkins.signals import collect_digest_sections
from goals.models import Goal
from notifications.models import Delivery, Notification
from notifications.preferences import notification_settings_update
from tests.builders import GoalFactory, reach

# Thursday of ISO week 2026-W48; the digest about that week goes out on Monday 30 November.
THURSDAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
NEXT_MONDAY = dt.date(2026, 11, 30)


def prefer(user, delivery: str) -> None:
    notification_settings_update(
        user=user, weekly_digest=True, deliveries={"achievement": delivery}
    )


def digest_lines(user, week_start):
    sections = [
        section
        for _, result in collect_digest_sections.send(
            sender=None, user=user, week_start=week_start, is_lead=False
        )
        for section in result
    ]
    return {section["title"]: section["lines"] for section in sections}


def test_immediate_preference_emails_the_win_once(
    member_goal, member, django_capture_on_commit_callbacks
):
    prefer(member, Delivery.IMMEDIATE)
    with django_capture_on_commit_callbacks(execute=True):
        reach(member_goal, Goal.Status.ACHIEVED)
    with django_capture_on_commit_callbacks(execute=True):
        reach(member_goal, Goal.Status.ACHIEVED)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["member@example.com"]
    assert mail.outbox[0].subject == "Goalpost: You reached the target of “QBR completion”"
    assert "/recognition/achievements/" in mail.outbox[0].body


@time_machine.travel(THURSDAY, tick=False)
def test_digest_preference_sends_nothing_now_and_lists_it_in_the_weekly_digest(
    member_goal, member, django_capture_on_commit_callbacks
):
    prefer(member, Delivery.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        reach(member_goal, Goal.Status.ACHIEVED)

    assert mail.outbox == []
    assert digest_lines(member, NEXT_MONDAY) == {
        "Notifications": ["You reached the target of “QBR completion”"]
    }
    assert digest_lines(member, NEXT_MONDAY + dt.timedelta(days=7)) == {}


@time_machine.travel(THURSDAY, tick=False)
def test_off_preference_sends_no_email_but_keeps_the_bell(
    client, member_goal, member, django_capture_on_commit_callbacks
):
    prefer(member, Delivery.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        reach(member_goal, Goal.Status.ACHIEVED)

    assert mail.outbox == []
    assert digest_lines(member, NEXT_MONDAY) == {}
    client.force_login(member)
    assert ">1<" in client.get("/recognition/notifications/bell/").content.decode()


def test_bell_counts_unread_in_one_query(client, member, django_assert_num_queries):
    for number in range(3):
        Notification.objects.create(
            user=member, kind="achievement", title=f"Win {number}", created_at=THURSDAY
        )
    client.force_login(member)
    client.get("/recognition/notifications/bell/")  # session and user loaded once

    with django_assert_num_queries(3):  # session, user, the count
        response = client.get("/recognition/notifications/bell/")

    assert 'title="3 unread"' in response.content.decode()


def test_bell_is_empty_without_unread(client, member, teammate):
    # Only read notifications of one's own, and someone else's unread one: no count at all.
    Notification.objects.create(
        user=member, kind="achievement", title="Old win", created_at=THURSDAY, read_at=THURSDAY
    )
    Notification.objects.create(
        user=teammate, kind="achievement", title="Their win", created_at=THURSDAY
    )
    client.force_login(member)
    response = client.get("/recognition/notifications/bell/")
    assert response.status_code == 200
    assert response.content.decode().strip() == ""
    # One unread notification of one's own: the count appears.
    Notification.objects.create(user=member, kind="achievement", title="New", created_at=THURSDAY)
    assert 'title="1 unread"' in client.get("/recognition/notifications/bell/").text


def test_the_page_shows_the_bell_loader(client, member):
    client.force_login(member)
    page = client.get("/recognition/notifications/").content.decode()
    assert 'hx-get="/recognition/notifications/bell/"' in page


def test_mark_one_read_with_htmx_refreshes_the_bell(client, member, teammate):
    mine = Notification.objects.create(
        user=member, kind="achievement", title="Your win", created_at=THURSDAY
    )
    theirs = Notification.objects.create(
        user=teammate, kind="achievement", title="Their win", created_at=THURSDAY
    )
    client.force_login(member)

    page = client.get("/recognition/notifications/").content.decode()
    assert "Your win" in page and "Their win" not in page and "1 unread" in page

    response = client.post(f"/recognition/notifications/{mine.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    assert "Read" in response.content.decode()
    mine.refresh_from_db()
    assert mine.read_at is not None

    assert client.post(f"/recognition/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(client, member, teammate):
    for title in ("One", "Two"):
        Notification.objects.create(user=member, kind="badge", title=title, created_at=THURSDAY)
    Notification.objects.create(user=teammate, kind="badge", title="Other", created_at=THURSDAY)
    client.force_login(member)

    response = client.post("/recognition/notifications/read-all/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "All read" in response.content.decode()
    assert not Notification.objects.filter(user=member, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=teammate, read_at__isnull=True).count() == 1
    response = client.post("/recognition/notifications/read-all/", follow=True)
    assert "Marked 0 notifications read." in response.content.decode()


def test_notification_pages_need_login(client):
    response = client.get("/recognition/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_list_pages_do_not_query_per_row(client, quarter, team, member, teammate):
    client.force_login(member)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    def add_wins(count: int) -> None:
        for _ in range(count):
            reach(GoalFactory(period=quarter, team=team, owner=teammate), "achieved")
            Notification.objects.create(
                user=member, kind="badge", title="A badge", created_at=THURSDAY
            )

    add_wins(2)
    few = {
        path: queries(path)
        for path in (
            "/recognition/notifications/",
            "/recognition/achievements/",
            f"/recognition/teams/{team.pk}/celebrations/",
        )
    }
    add_wins(10)
    many = {path: queries(path) for path in few}
    assert many == few
