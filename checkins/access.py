"""Who may check in, and who may see and handle a support request."""

from django.db.models import Q, QuerySet
from django.http import Http404

from goals.access import can_update_progress
from goals.models import Goal
from goals_project.people.access import AnyUser, can_lead_team, is_admin, parse_id
from goals_project.people.models import Membership

from .models import SupportRequest

CHECK_IN_DENIED = "You may not check in on this goal: only its owner and the team's leads can."
HELP_DENIED = "Only the goal's owner and the team's leads can ask for help on it."


def can_check_in(user: AnyUser, goal: Goal) -> bool:
    """A check-in is a progress update: whoever may enter progress on the goal may check in
    (its owner, the team's leads, admins); archived goals take no more check-ins."""
    return goal.archived_at is None and can_update_progress(user, goal)


def support_requests_visible_q(user: AnyUser) -> Q:
    """Requests the user made, was asked, or that concern the team they lead."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if is_admin(user):
        return Q()
    led_teams = Membership.objects.filter(user=user, role=Membership.Role.LEAD).values("team_id")
    return Q(requester=user) | Q(addressee=user) | Q(goal__team_id__in=led_teams)


def visible_support_requests(user: AnyUser) -> QuerySet[SupportRequest]:
    return SupportRequest.objects.filter(support_requests_visible_q(user))


def get_support_request_for_user(user: AnyUser, support_request_id: int | str) -> SupportRequest:
    """The support request with its goal, or Http404 when the user may not see it."""
    pk = parse_id(support_request_id)
    if pk is None:
        raise Http404("No such support request.")
    found = (
        visible_support_requests(user)
        .select_related("goal", "goal__team", "goal__owner", "requester", "addressee", "checkin")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such support request.")
    return found


def can_handle_support_request(user: AnyUser, support_request: SupportRequest) -> bool:
    """Acknowledge, reply, resolve: the addressee, the leads of the goal's team, admins."""
    if not user.is_authenticated:
        return False
    return support_request.addressee_id == user.pk or can_lead_team(user, support_request.goal.team)


def can_resolve_support_request(user: AnyUser, support_request: SupportRequest) -> bool:
    """The requester may also close their own request (they found help elsewhere)."""
    return support_request.requester_id == user.pk or can_handle_support_request(
        user, support_request
    )


def can_take_step(user: AnyUser, support_request: SupportRequest, step: str) -> bool:
    if step == "resolve":
        return can_resolve_support_request(user, support_request)
    return can_handle_support_request(user, support_request)
