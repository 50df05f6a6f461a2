"""Reads about people and teams."""

from django.db.models import QuerySet

from .models import Membership, Team, User


def membership_of(user: User) -> Membership | None:
    """The user's membership (team and role) with its team, cached on the user object, or None.

    One query the first time (the navigation shows the team's name on every page, so the team
    comes with it), none after."""
    accessor = User.membership.related
    if not accessor.is_cached(user):
        membership = next(
            iter(Membership.objects.select_related("team").filter(user=user).order_by()[:1]), None
        )
        accessor.set_cached_value(user, membership)
        if membership is not None:
            Membership.user.field.set_cached_value(membership, user)
    return accessor.get_cached_value(user)


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
