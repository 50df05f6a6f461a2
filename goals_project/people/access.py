"""Who may see which person and which team: the one place these rules live (the goal rules, in
goals/access.py, build on this module).

Rules (DESIGN.md section 6):
- Admins (active staff or superusers) see every person and every team.
- A team's pages (team dashboard, recognition wall and summaries, leaderboard) are for its members
  and admins; its settings (leaderboard) and program health are for its leads and admins.
- A person's records (badges, contributions to team goals) are seen by themself, their teammates
  and admins; a person's dashboard by themself, the leads of their team and admins.

Pages and the API use these functions alike: a person or team the user may not see is a 404, as
if it did not exist (`get_team_for_user`, `get_person_for_user`, `get_managed_person`). Ids from
URLs, queries and forms go through `parse_id`.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Membership, Team, User
from .selectors import membership_of

MAX_ID = 2**63 - 1  # larger ids cannot exist; asking for one is a 404, not a database error
AnyUser = User | AnonymousUser


def parse_id(value: int | str | None) -> int | None:
    """An object id from a URL, a query, a form or a request body, or None when it cannot be
    one (not a whole number, zero or less, or too large for the database)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk <= MAX_ID else None


def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def lead_team_id(user: AnyUser) -> int | None:
    """The id of the team the user leads, or None (uses the membership cached on the user)."""
    if not user.is_authenticated:
        return None
    membership = membership_of(user)
    if membership is None or membership.role != Membership.Role.LEAD:
        return None
    return membership.team_id


# ---------------------------------------------------------------------------------------------
# Teams


def visible_teams(user: AnyUser) -> list[Team]:
    """Teams whose pages the user may open: every team (by name) for an admin, else their own."""
    if is_admin(user):
        return list(Team.objects.order_by("name"))
    membership = membership_of(user) if user.is_authenticated else None
    return [membership.team] if membership else []


def can_view_team(user: AnyUser, team: Team) -> bool:
    """A team's pages: its members (leads included) and admins (no query for a member)."""
    if is_admin(user):
        return True
    membership = membership_of(user) if user.is_authenticated else None
    return membership is not None and membership.team_id == team.pk


def get_team_for_user(user: AnyUser, team_id: int | str | None) -> Team:
    """The team if the user may open its pages, else Http404."""
    pk = parse_id(team_id)
    team = None
    if pk is not None:
        if is_admin(user):
            team = Team.objects.filter(pk=pk).first()
        else:
            membership = membership_of(user) if user.is_authenticated else None
            team = membership.team if membership and membership.team_id == pk else None
    if team is None:
        raise Http404("No such team.")
    return team


def can_lead_team(user: AnyUser, team: Team | None) -> bool:
    """A team's settings (its leaderboard, its members' pages): its leads and admins."""
    if is_admin(user):
        return True
    return team is not None and lead_team_id(user) == team.pk


def led_teams(user: AnyUser) -> list[Team]:
    """Teams the user answers for (program health): every team for an admin, their own for a
    lead, none for anyone else."""
    if is_admin(user):
        return list(Team.objects.order_by("name"))
    membership = membership_of(user) if user.is_authenticated else None
    return [membership.team] if membership is not None and membership.is_lead else []


# ---------------------------------------------------------------------------------------------
# People


def visible_people(user: AnyUser) -> QuerySet[User]:
    """People whose records (badges, contributions) the user may look up: admins everyone; others
    themselves and the people on their team (one query; the team is a subquery)."""
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if is_admin(user):
        return User.objects.all()
    team_of = Membership.objects.filter(user=user).values("team_id")
    return User.objects.filter(Q(pk=user.pk) | Q(membership__team_id__in=team_of))


def get_person_for_user(
    user: AnyUser, person_id: int | str | None, *, include_inactive: bool = False
) -> User:
    """A person the user may look up (`visible_people`) with their team, or Http404. A person
    who left (inactive) is a 404 unless asked for."""
    pk = parse_id(person_id)
    people = visible_people(user).select_related("membership__team")
    if not include_inactive:
        people = people.filter(is_active=True)
    person = people.filter(pk=pk).first() if pk is not None else None
    if person is None:
        raise Http404("No such person.")
    return person


def managed_people(user: AnyUser) -> QuerySet[User]:
    """People whose dashboard the user may open: themself, the members of the team they lead,
    everyone for an admin (people who left aside)."""
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    people = User.objects.filter(is_active=True)
    if is_admin(user):
        return people
    lead_of = Membership.objects.filter(user=user, role=Membership.Role.LEAD).values("team_id")
    return people.filter(Q(pk=user.pk) | Q(membership__team_id__in=lead_of))


def get_managed_person(user: AnyUser, person_id: int | str | None) -> User:
    """The person whose dashboard the user may open (`managed_people`), with their team, or
    Http404, as if the person did not exist."""
    pk = parse_id(person_id)
    person = (
        managed_people(user).select_related("membership__team").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if person is None:
        raise Http404("No such person.")
    return person
