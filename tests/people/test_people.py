import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from goals_project.people.models import Membership, User
from goals_project.people.selectors import is_lead_of, team_members
from goals_project.people.services import membership_set, user_upsert

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_parity]


def test_emails_are_unique_whatever_their_case(member):
    with pytest.raises(ValidationError, match="already exists"):
        User(email="MEMBER@example.com", name="x").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Member@Example.com")


def test_user_upsert_finds_the_user_by_email_in_any_case(member):
    same = user_upsert(email="MEMBER@EXAMPLE.COM", name="Mo M.")
    assert same.pk == member.pk
    assert User.objects.get(pk=member.pk).name == "Mo M."


def test_a_user_belongs_to_at_most_one_team(member, other_team):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=member, team=other_team)
    # Moving a user is a service call, which keeps the single membership.
    membership_set(user=member, team=other_team, role=Membership.Role.LEAD)
    assert Membership.objects.filter(user=member).count() == 1
    assert is_lead_of(User.objects.get(pk=member.pk), other_team)


def test_team_members_include_the_lead(team, lead, member, other_member):
    assert set(team_members(team)) == {lead, member}


def test_unknown_role_is_refused(member, team):
    with pytest.raises(ValidationError, match="Unknown role"):
        membership_set(user=member, team=team, role="boss")
