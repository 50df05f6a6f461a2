"""django-guardian object permissions on goals: team groups and shares.

Each team has one auth Group ("team-<id>") whose members mirror the team's memberships: a
membership saved or deleted moves the user between groups, so a goal shared with a team follows
the people who are on it. Shares are `view_goal` grants in the direct foreign-key permission
models (GoalUserObjectPermission, GoalGroupObjectPermission), which `goals.access` joins in SQL.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from goals_project.people.models import Membership, Team, User

from .access import VIEW_PERMISSION
from .models import Goal, GoalGroupObjectPermission, GoalUserObjectPermission

TEAM_GROUP_PREFIX = "team-"


def team_group_name(team_id: int) -> str:
    return f"{TEAM_GROUP_PREFIX}{team_id}"


def team_group(team: Team) -> Group:
    """The team's group, created on first use."""
    group, _ = Group.objects.get_or_create(name=team_group_name(team.pk))
    return group


@transaction.atomic
def team_groups_sync_user(*, user: User) -> None:
    """Put the user in exactly the group of their current team (none when on no team)."""
    membership = Membership.objects.filter(user=user).first()
    wanted = team_group_name(membership.team_id) if membership else None
    stale = user.groups.filter(name__startswith=TEAM_GROUP_PREFIX).exclude(name=wanted or "")
    user.groups.remove(*stale)
    if membership is not None:
        user.groups.add(team_group(membership.team))


@transaction.atomic
def goal_share(
    *,
    goal: Goal,
    users: QuerySet[User] | list[User] = (),
    teams: QuerySet[Team] | list[Team] = (),
) -> None:
    """Let these users and the members of these teams see the goal (idempotent)."""
    for user in users:
        if user.pk == goal.owner_id:
            continue
        assign_perm(VIEW_PERMISSION, user, goal)
    for team in teams:
        assign_perm(VIEW_PERMISSION, team_group(team), goal)
    _who_sees_changed(goal)


@transaction.atomic
def goal_unshare(*, goal: Goal, user: User | None = None, team: Team | None = None) -> None:
    """Withdraw one share: from a user or from a team."""
    if user is None and team is None:
        raise ValidationError({"share": "Say whom to stop sharing with."})
    if user is not None:
        remove_perm(VIEW_PERMISSION, user, goal)
    if team is not None:
        remove_perm(VIEW_PERMISSION, team_group(team), goal)
    _who_sees_changed(goal)


def _who_sees_changed(goal: Goal) -> None:
    # The goal's updated_at versions what dashboards show (their ETag): who sees it changed.
    Goal.objects.filter(pk=goal.pk).update(updated_at=timezone.now())


def goal_shared_users(goal: Goal) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=GoalUserObjectPermission.objects.filter(
            content_object=goal, permission__codename=VIEW_PERMISSION
        ).values("user_id")
    ).order_by("name", "email")


def goal_shared_teams(goal: Goal) -> list[Team]:
    names = GoalGroupObjectPermission.objects.filter(
        content_object=goal,
        permission__codename=VIEW_PERMISSION,
        group__name__startswith=TEAM_GROUP_PREFIX,
    ).values_list("group__name", flat=True)
    ids = [int(n.removeprefix(TEAM_GROUP_PREFIX)) for n in names]
    return list(Team.objects.filter(pk__in=ids).order_by("name"))


def _membership_saved(sender, instance: Membership, **kwargs) -> None:
    team_groups_sync_user(user=instance.user)


def _membership_deleted(sender, instance: Membership, **kwargs) -> None:
    # The user may be gone too (a cascade from deleting the user): nothing to sync then.
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        user.groups.remove(*user.groups.filter(name=team_group_name(instance.team_id)))


def connect_signals() -> None:
    """Called from GoalsConfig.ready()."""
    post_save.connect(_membership_saved, sender=Membership, dispatch_uid="goals_team_group_save")
    post_delete.connect(
        _membership_deleted, sender=Membership, dispatch_uid="goals_team_group_delete"
    )
