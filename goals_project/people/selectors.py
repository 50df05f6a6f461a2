"""Reads about people and teams."""

from django.db.models import QuerySet

from .models import Membership, Team, User


def membership_of(user: User) -> Membership | None:
    """The user's membership (team and role), cached on the user object, or None."""
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def team_of(user: User) -> Team | None:
    membership = membership_of(user)
    return membership.team if membership else None


def team_members(team: Team) -> QuerySet[User]:
    """Everyone on the team, leads included (a lead's own customers count in the team scope)."""
    return User.objects.filter(membership__team=team).order_by("name", "email")


def team_leads(team: Team) -> QuerySet[User]:
    return User.objects.filter(membership__team=team, membership__role=Membership.Role.LEAD)


def is_lead_of(user: User, team: Team | None) -> bool:
    membership = membership_of(user)
    return bool(
        team is not None
        and membership is not None
        and membership.team_id == team.pk
        and membership.role == Membership.Role.LEAD
    )
