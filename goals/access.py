"""Who may see and change goals: the one place the visibility and rights rules live.

Rules (DESIGN.md section 6):
- Admins (staff) see and change everything.
- A team lead sees every goal of their team, private ones included, and creates, edits,
  adjusts, shares and archives them (their members' goals included).
- A member sees their team's public goals and their own goals, and enters manual progress on
  their own goals only.
- A private goal is also visible to the users and groups (team groups) it is shared with through
  django-guardian's `view_goal` object permission (direct foreign-key permission models).
- Archived goals are left out unless asked for.

Pages and the API use these functions alike: a goal the user may not see is a 404
(`get_goal_for_user`), one they may see but not change is a 403 (`require`). Who is an admin,
which team a user leads, which people and teams they see, and the one id parser:
goals_project/people/access.py.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from goals_project.people.access import (
    AnyUser,
    can_lead_team,
    is_admin,
    lead_team_id,
    parse_id,
)
from goals_project.people.models import Membership, Team, User
from goals_project.people.selectors import membership_of

from .models import (
    Goal,
    GoalGroupObjectPermission,
    GoalPeriod,
    GoalUserObjectPermission,
    Objective,
)

VIEW_PERMISSION = "view_goal"


def _shared_with(user: User) -> Q:
    """Goals shared with the user directly or with one of the user's groups (team groups)."""
    user_grants = GoalUserObjectPermission.objects.filter(
        content_object=OuterRef("pk"), user=user, permission__codename=VIEW_PERMISSION
    )
    group_grants = GoalGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"), group__user=user, permission__codename=VIEW_PERMISSION
    )
    return Q(Exists(user_grants)) | Q(Exists(group_grants))


def visible_goals_q(user: AnyUser) -> Q:
    """The visibility rule as a filter on Goal: membership and shares are subqueries, so a list
    of visible goals is one SQL query whatever the user's role."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_admin(user):
        return Q()
    lead_of = Membership.objects.filter(user=user, role=Membership.Role.LEAD).values("team_id")
    team_of = Membership.objects.filter(user=user).values("team_id")
    return (
        Q(owner=user)
        | Q(team_id__in=lead_of)
        | Q(team_id__in=team_of, visibility=Goal.Visibility.PUBLIC)
        | _shared_with(user)
    )


def visible_goals(user: AnyUser, *, include_archived: bool = False) -> QuerySet[Goal]:
    """Every goal the user may see, filtered in SQL (one query when evaluated)."""
    goals = Goal.objects.filter(visible_goals_q(user))
    if not include_archived:
        goals = goals.filter(archived_at__isnull=True)
    return goals


def _seen_by_role(user: AnyUser, goal: Goal) -> bool | None:
    """visible_goals_q for one loaded goal, from the user's role (their membership, read once
    per request): True or False when the role decides, None when only a share can show it."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_admin(user) or goal.owner_id == user.pk:
        return True
    membership = membership_of(user)
    in_team = membership is not None and membership.team_id == goal.team_id
    if in_team and (
        membership.role == Membership.Role.LEAD or goal.visibility == Goal.Visibility.PUBLIC
    ):
        return True
    return None


def _shared_with_user(user: AnyUser, goal: Goal) -> bool:
    return Goal.objects.filter(_shared_with(user), pk=goal.pk).exists()


def visible_team_goals(
    user: AnyUser, team_id: int, *, include_archived: bool = False
) -> QuerySet[Goal]:
    """visible_goals of one team: for the team's leads and admins every goal of the team (no
    visibility subqueries to build or run), for anyone else the rule in SQL."""
    if is_admin(user) or (team_id is not None and lead_team_id(user) == team_id):
        goals = Goal.objects.filter(team_id=team_id)
        return goals if include_archived else goals.filter(archived_at__isnull=True)
    return visible_goals(user, include_archived=include_archived).filter(team_id=team_id)


def seen_among(user: AnyUser, goals: list[Goal]) -> list[Goal]:
    """The goals of a loaded list that the user may see, in their order: the rule applied to each
    (`_seen_by_role`), the shares asked in one query for those the role does not show."""
    seen = {goal.pk: _seen_by_role(user, goal) for goal in goals}
    undecided = [pk for pk, shown in seen.items() if shown is None]
    if undecided:
        shared = set(
            Goal.objects.filter(_shared_with(user), pk__in=undecided).values_list("pk", flat=True)
        )
        seen.update({pk: pk in shared for pk in undecided})
    return [goal for goal in goals if seen[goal.pk]]


def get_goal_for_user(user: AnyUser, goal_id: int | str, *, include_archived: bool = False) -> Goal:
    """The goal with its period, team and owner, or Http404 when the user may not see it.

    The goal is read by its id alone and the visibility rule applied to it (`_seen_by_role`):
    the share subqueries run only for a goal the role does not show."""
    pk = parse_id(goal_id)
    if pk is None:
        raise Http404("No such goal.")
    goals = Goal.objects.select_related("period", "team", "owner", "parent").filter(pk=pk)
    if not include_archived:
        goals = goals.filter(archived_at__isnull=True)
    goal = next(iter(goals.order_by()), None)
    if goal is None:
        raise Http404("No such goal.")
    seen = _seen_by_role(user, goal)
    if seen is None:
        seen = _shared_with_user(user, goal)
    if not seen:
        raise Http404("No such goal.")
    return goal


def can_view_goal(user: AnyUser, goal: Goal) -> bool:
    """Whether the user may see this goal (one query unless the answer is known from the role)."""
    if is_admin(user):
        return True
    if not user.is_authenticated:
        return False
    if goal.owner_id == user.pk or lead_team_id(user) == goal.team_id:
        return True
    seen = _seen_by_role(user, goal)
    return _shared_with_user(user, goal) if seen is None else seen


def can_create_goal(user: AnyUser, team: Team | None) -> bool:
    """Admins create goals for any team; a lead for their own team (and its members)."""
    if is_admin(user):
        return True
    return team is not None and lead_team_id(user) == team.pk


def can_edit_goal(user: AnyUser, goal: Goal) -> bool:
    """Edit, adjust, cascade, archive: admins and the leads of the goal's team."""
    if is_admin(user):
        return True
    lead_team = lead_team_id(user)
    return lead_team is not None and lead_team == goal.team_id


def can_update_progress(user: AnyUser, goal: Goal) -> bool:
    """Manual progress (values, tasks done, milestone ticks): the owner on their own goal, the
    leads of the goal's team, admins."""
    if not user.is_authenticated:
        return False
    return goal.owner_id == user.pk or can_edit_goal(user, goal)


def can_share_goal(user: AnyUser, goal: Goal) -> bool:
    """Sharing a goal: its owner, the leads of its team, admins."""
    if not user.is_authenticated:
        return False
    return goal.owner_id == user.pk or can_edit_goal(user, goal)


def can_manage_periods(user: AnyUser) -> bool:
    """Goal periods are created and edited by admins."""
    return is_admin(user)


def can_carry_over(user: AnyUser, period: GoalPeriod) -> bool:
    """Admins carry a whole period over (every team's goals); a lead carries their team's."""
    return is_admin(user) or lead_team_id(user) is not None


def carry_over_team(user: AnyUser) -> Team | None:
    """Whose goals the user carries over: None (every team's) for an admin, else their team."""
    if is_admin(user):
        return None
    return Team.objects.filter(pk=lead_team_id(user)).first()


# Objectives ---------------------------------------------------------------------------------
# A public company objective is seen by everyone signed in, a public team objective by the
# team's members; a private one by its owners, its team's leads and admins. Admins create and
# change company objectives; a lead creates and changes their own team's.


def visible_objectives_q(user: AnyUser) -> Q:
    """The objectives' visibility rule as a filter on Objective (subqueries, one SQL query)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_admin(user):
        return Q()
    lead_of = Membership.objects.filter(user=user, role=Membership.Role.LEAD).values("team_id")
    team_of = Membership.objects.filter(user=user).values("team_id")
    public = Q(visibility=Goal.Visibility.PUBLIC)
    return (
        (public & Q(team__isnull=True))
        | (public & Q(team_id__in=team_of))
        | Q(team_id__in=lead_of)
        | Q(pk__in=Objective.owners.through.objects.filter(user=user).values("objective_id"))
    )


def visible_objectives(user: AnyUser, *, include_archived: bool = False) -> QuerySet[Objective]:
    """Every objective the user may see, filtered in SQL."""
    objectives = Objective.objects.filter(visible_objectives_q(user))
    if not include_archived:
        objectives = objectives.filter(archived_at__isnull=True)
    return objectives


def get_objective_for_user(user: AnyUser, objective_id: int | str) -> Objective:
    """The objective with its period and team, or Http404 when the user may not see it."""
    pk = parse_id(objective_id)
    objective = (
        visible_objectives(user).select_related("period", "team").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if objective is None:
        raise Http404("No such objective.")
    return objective


def can_create_objective(user: AnyUser, team: Team | None) -> bool:
    """Admins set company objectives and any team's; a lead sets their own team's."""
    return can_lead_team(user, team)


def can_edit_objective(user: AnyUser, objective: Objective) -> bool:
    """Admins change any objective; a lead changes their own team's."""
    return can_create_objective(user, objective.team)


def can_align_goals(user: AnyUser) -> bool:
    """Who re-aligns goals on the tree: admins and team leads (each goal is checked with
    can_edit_goal)."""
    return is_admin(user) or lead_team_id(user) is not None


def require(allowed: bool, message: str = "You may not change this.") -> None:
    """Raise PermissionDenied (403) unless allowed; call after the object was fetched with an
    access function (so an invisible object has already answered 404)."""
    if not allowed:
        raise PermissionDenied(message)


def require_goal_right(check: Callable[[AnyUser, Goal], bool], user: AnyUser, goal: Goal) -> None:
    """`require(check(user, goal))` with a message naming the right that is missing."""
    messages = {
        can_edit_goal: "Only the team's leads and admins may change this goal.",
        can_update_progress: (
            "Only the goal's owner, the team's leads and admins may enter progress."
        ),
        can_share_goal: "Only the goal's owner, the team's leads and admins may share this goal.",
    }
    require(check(user, goal), messages.get(check, "You may not change this goal."))


def parent_for_user(user: AnyUser, goal: Goal) -> Goal | None:
    """The goal's parent if the user may see it; None otherwise (show "private goal")."""
    if goal.parent_id is None or goal.parent is None:
        return None
    return goal.parent if can_view_goal(user, goal.parent) else None


def with_parent_visibility(goals: QuerySet[Goal], user: AnyUser) -> QuerySet[Goal]:
    """Annotate `parent_visible` so a list can hide a private parent without a query per row."""
    visible_parent = visible_goals(user, include_archived=True).filter(pk=OuterRef("parent_id"))
    return goals.annotate(parent_visible=Exists(visible_parent))


def with_objective_visibility(goals: QuerySet[Goal], user: AnyUser) -> QuerySet[Goal]:
    """Annotate `objective_visible` so a list can hide a private objective without a query per
    row."""
    visible_objective = visible_objectives(user, include_archived=True).filter(
        pk=OuterRef("objective_id")
    )
    return goals.annotate(objective_visible=Exists(visible_objective))


def objective_visible(user: AnyUser, goal: Goal) -> bool:
    """Whether the user may see the goal's objective (False without one)."""
    if goal.objective_id is None:
        return False
    annotated = getattr(goal, "objective_visible", None)
    if annotated is not None:
        return bool(annotated)
    return visible_objectives(user, include_archived=True).filter(pk=goal.objective_id).exists()


def editable_teams(user: AnyUser) -> QuerySet[Team]:
    """Teams the user may create goals for."""
    if is_admin(user):
        return Team.objects.all()
    lead_team = lead_team_id(user)
    return Team.objects.filter(pk=lead_team) if lead_team else Team.objects.none()


def attainment_teams(user: AnyUser) -> QuerySet[Team]:
    """Teams whose attainment the user may export: admins every team, a lead their own."""
    return editable_teams(user)
