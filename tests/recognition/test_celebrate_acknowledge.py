"""Celebrate (once per person, not your own win) and acknowledge (the owner only), in pages."""

import pytest

from goals.models import Goal
from notifications.models import Notification
from recognition.models import Achievement, Celebration
from tests.builders import GoalFactory, reach


@pytest.fixture
def win(member_goal):
    reach(member_goal, Goal.Status.ACHIEVED)
    return Achievement.objects.get(goal=member_goal)


@pytest.fixture
def team_win(team_goal):
    reach(team_goal, Goal.Status.ACHIEVED, value="106")
    return Achievement.objects.get(goal=team_goal)


def url(achievement, action=""):
    return f"/recognition/achievements/{achievement.pk}/{action + '/' if action else ''}"


@pytest.mark.sqlite_parity
def test_a_teammate_celebrates_once_with_a_message(client, win, teammate, member):
    client.force_login(teammate)
    response = client.post(url(win, "celebrate"), {"message": "Brilliant quarter!"}, follow=True)
    assert "Celebrated!" in response.content.decode()

    again = client.post(url(win, "celebrate"), {"message": "Again"}, follow=True)
    assert "You have already celebrated this achievement." in again.content.decode()
    page = client.get(url(win)).content.decode()
    assert "Tia Mate</strong>: Brilliant quarter!" in page
    assert "You celebrated this." in page
    assert Celebration.objects.filter(achievement=win).count() == 1
    assert Notification.objects.filter(user=member, kind="celebration").get().title == (
        "Tia Mate celebrated your win on “QBR completion”"
    )


def test_celebrating_again_with_htmx_says_so_in_the_box(client, win, teammate):
    client.force_login(teammate)
    client.post(url(win, "celebrate"), HTTP_HX_REQUEST="true")
    response = client.post(url(win, "celebrate"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "You have already celebrated this achievement." in body
    assert 'Kudos <span class="muted">(1)</span>' in body


def test_a_long_message_is_refused_naming_the_field(client, win, teammate):
    client.force_login(teammate)
    response = client.post(url(win, "celebrate"), {"message": "x" * 141}, follow=True)
    assert "Keep the message to 140 characters or fewer." in response.content.decode()
    assert not Celebration.objects.exists()


def test_the_owner_cannot_celebrate_their_own_win(client, win, member):
    client.force_login(member)
    assert client.post(url(win, "celebrate")).status_code == 403
    assert not Celebration.objects.exists()


def test_every_member_may_celebrate_a_team_win(client, team_win, member, teammate):
    for person in (member, teammate):
        client.force_login(person)
        client.post(url(team_win, "celebrate"))
    assert Celebration.objects.filter(achievement=team_win).count() == 2


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("member", 302),
        ("teammate", 403),
        ("lead", 403),
        ("admin_user", 403),
        ("other_member", 404),
        ("outsider", 404),
    ],
)
def test_only_the_owner_acknowledges_an_individual_win(client, request, win, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(url(win, "acknowledge"))
    assert response.status_code == expected
    win.refresh_from_db()
    assert (win.acknowledged_at is not None) == (expected == 302)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("lead", 302), ("member", 403), ("other_member", 404)],
)
def test_a_team_win_is_acknowledged_by_the_team_lead(client, request, team_win, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(url(team_win, "acknowledge")).status_code == expected


def test_acknowledging_twice_keeps_the_first(client, win, member):
    client.force_login(member)
    client.post(url(win, "acknowledge"))
    first = Achievement.objects.get(pk=win.pk).acknowledged_at
    response = client.post(url(win, "acknowledge"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Acknowledged" in response.content.decode()
    assert Achievement.objects.get(pk=win.pk).acknowledged_at == first


def test_a_private_goals_win_is_invisible_to_teammates(client, quarter, team, member, teammate):
    private = GoalFactory(
        period=quarter, team=team, owner=member, name="Private", visibility="private"
    )
    reach(private, Goal.Status.ACHIEVED)
    achievement = Achievement.objects.get(goal=private)
    client.force_login(teammate)
    assert client.get(url(achievement)).status_code == 404
    assert client.post(url(achievement, "celebrate")).status_code == 404


def test_the_achievement_page_shows_the_win(client, win, teammate):
    client.force_login(teammate)
    page = client.get(url(win)).content.decode()
    assert "Mo reached the target of “QBR completion”" in page
    assert "Credited: Mo Member" in page
    assert "Not acknowledged yet." in page
    assert f'href="/goals/{win.goal_id}/">Open the goal' in page
    assert 'name="message"' in page
