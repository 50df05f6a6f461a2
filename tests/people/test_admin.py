import pytest
from django.urls import reverse

from goals_project.people.models import Membership, Team, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona,expected", [("admin_user", 200), ("lead", 302), ("member", 302)])
def test_only_staff_get_into_admin(client, request, persona, expected):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    url = reverse("admin:people_user_changelist")
    response = client.get(url)
    assert response.status_code == expected
    if expected == 302:  # to the admin's login, which would bring them back here
        assert response.url == f"{reverse('admin:login')}?next={url}"
    else:
        assert user.email in response.text


def test_admin_lists_users_with_team_and_filters(client, admin_user, member, other_member):
    client.force_login(admin_user)
    response = client.get(reverse("admin:people_user_changelist"), {"q": "Enterprise"})
    assert "member@example.com" in response.text
    assert "other@example.com" not in response.text


def test_admin_rejects_an_email_that_differs_only_in_case(client, admin_user, member):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:people_user_add"),
        {
            "email": "MEMBER@EXAMPLE.COM",
            "name": "Copy",
            "password1": "x-Long-pass-123",
            "password2": "x-Long-pass-123",
            "usable_password": "true",
            "membership-TOTAL_FORMS": "0",
            "membership-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "A user with this email already exists." in response.text
    assert User.objects.filter(email__iexact="member@example.com").count() == 1


def test_admin_rejects_a_team_name_that_exists(client, admin_user, team):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:people_team_add"),
        {"name": "enterprise", "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 200
    assert "A team with this name already exists." in response.text
    assert Team.objects.count() == 1


def test_admin_rejects_a_second_team_for_a_user(client, admin_user, member, other_team):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:people_membership_add"),
        {
            "user": member.pk,
            "team": other_team.pk,
            "role": "member",
            "joined_at_0": "2026-01-01",
            "joined_at_1": "00:00",
        },
    )
    assert response.status_code == 200
    assert "This user already belongs to a team." in response.text
    assert Membership.objects.get(user=member).team.name == "Enterprise"
