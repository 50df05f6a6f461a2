"""Visibility and rights: who sees which goal, who may change it, and team groups following
memberships."""

import datetime as dt

import pytest
from django.http import Http404

from goals import access
from goals.models import Goal, GoalPeriod
from goals.permissions import goal_share, goal_shared_teams, goal_shared_users, goal_unshare
from goals_project.people.models import Membership, User
from goals_project.people.services import membership_set
from tests.builders import MembershipFactory, TeamFactory, UserFactory, customer
from tests.conftest import rolled_back

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def organisation(django_db_setup, django_db_blocker):
    """The people and the period of every test here (the matrix has 150-odd cases), built once
    for the module and rolled back after it; each test gets them fresh from the database."""
    with rolled_back(django_db_blocker):
        team, other_team = TeamFactory(name="Enterprise"), TeamFactory(name="SMB")

        def person(team, email, name, role=Membership.Role.MEMBER):
            return MembershipFactory(team=team, role=role, user__email=email, user__name=name).user

        yield {
            "team": team,
            "other_team": other_team,
            "admin_user": UserFactory(
                email="admin@example.com", name="Admin", is_staff=True, is_superuser=True
            ),
            "lead": person(team, "lead@example.com", "Lena Lead", Membership.Role.LEAD),
            "member": person(team, "member@example.com", "Mo Member"),
            "teammate": person(team, "mate@example.com", "Tia Mate"),
            "other_member": person(other_team, "other@example.com", "Otto Other"),
            "outsider": UserFactory(email="outsider@example.com", name="Out Sider"),
            "period": GoalPeriod.objects.create(
                name="Q1 2026",
                period_type="quarterly",
                start=dt.date(2026, 1, 1),
                end=dt.date(2026, 3, 31),
            ),
        }


def _fresh_fixture(name):
    @pytest.fixture(name=name)
    def _fixture(organisation, db):
        known = organisation[name]
        return type(known).objects.get(pk=known.pk)

    return _fixture


# The conftest's persona fixtures, taken from the shared organisation.
period = _fresh_fixture("period")
team = _fresh_fixture("team")
other_team = _fresh_fixture("other_team")
admin_user = _fresh_fixture("admin_user")
lead = _fresh_fixture("lead")
member = _fresh_fixture("member")
teammate = _fresh_fixture("teammate")
other_member = _fresh_fixture("other_member")
outsider = _fresh_fixture("outsider")


def make_goal(period, team, owner=None, visibility="public", name="Goal", **extra):
    return Goal.objects.create(
        period=period,
        team=team,
        owner=owner,
        name=name,
        goal_type="task",
        task_target=5,
        visibility=visibility,
        **extra,
    )


def fresh(user):
    return User.objects.get(pk=user.pk)


def test_each_role_sees_exactly_what_the_rules_allow(
    period, team, other_team, admin_user, lead, member, teammate, other_member, outsider
):
    team_public = make_goal(period, team, name="team public")
    team_private = make_goal(period, team, visibility="private", name="team private")
    mine_private = make_goal(period, team, owner=member, visibility="private", name="mine private")
    mate_private = make_goal(
        period, team, owner=teammate, visibility="private", name="mate private"
    )
    other_public = make_goal(period, other_team, name="other public")
    archived = make_goal(
        period, team, name="archived", archived_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    )

    def names(user):
        return set(access.visible_goals(fresh(user)).values_list("name", flat=True))

    assert names(admin_user) == {
        g.name for g in [team_public, team_private, mine_private, mate_private, other_public]
    }
    assert names(lead) == {"team public", "team private", "mine private", "mate private"}
    assert names(member) == {"team public", "mine private"}
    assert names(teammate) == {"team public", "mate private"}
    assert names(other_member) == {"other public"}
    assert names(outsider) == set()
    assert "archived" in set(
        access.visible_goals(fresh(lead), include_archived=True).values_list("name", flat=True)
    )
    assert archived.pk not in access.visible_goals(fresh(admin_user)).values_list("pk", flat=True)


def test_sharing_with_a_user_or_a_team_shows_a_private_goal(
    period, team, lead, other_member, outsider, other_team
):
    goal = make_goal(period, team, visibility="private", name="secret")
    with pytest.raises(Http404):
        access.get_goal_for_user(fresh(outsider), goal.pk)
    goal_share(goal=goal, users=[outsider], teams=[other_team])
    assert access.get_goal_for_user(fresh(outsider), goal.pk) == goal
    assert access.get_goal_for_user(fresh(other_member), goal.pk) == goal
    assert list(goal_shared_users(goal)) == [outsider]
    assert goal_shared_teams(goal) == [other_team]
    goal_unshare(goal=goal, team=other_team)
    with pytest.raises(Http404):
        access.get_goal_for_user(fresh(other_member), goal.pk)


def test_moving_a_member_to_another_team_moves_what_they_see(
    period, team, other_team, member, other_member
):
    shared_with_smb = make_goal(period, team, visibility="private", name="for SMB")
    goal_share(goal=shared_with_smb, teams=[other_team])
    enterprise_public = make_goal(period, team, name="enterprise public")
    assert set(access.visible_goals(fresh(member))) == {enterprise_public}
    membership_set(user=member, team=other_team, role=Membership.Role.MEMBER)
    assert set(access.visible_goals(fresh(member))) == {shared_with_smb}
    Membership.objects.filter(user=member).delete()
    assert set(access.visible_goals(fresh(member))) == set()


def test_listing_visible_goals_is_one_query(period, team, member, django_assert_num_queries):
    for n in range(5):
        make_goal(period, team, name=f"g{n}")
    user = fresh(member)
    with django_assert_num_queries(1):
        assert len(list(access.visible_goals(user))) == 5


def test_rights_follow_the_role(period, team, admin_user, lead, member, teammate, other_member):
    goal = make_goal(period, team, owner=member)
    assert access.can_edit_goal(fresh(lead), goal)
    assert access.can_edit_goal(fresh(admin_user), goal)
    assert not access.can_edit_goal(fresh(member), goal)
    assert access.can_update_progress(fresh(member), goal)
    assert not access.can_update_progress(fresh(teammate), goal)
    assert not access.can_update_progress(fresh(other_member), goal)
    assert access.can_create_goal(fresh(lead), team)
    assert not access.can_create_goal(fresh(member), team)


# ---------------------------------------------------------------------------------------------
# The permission matrix: persona x page/endpoint x public/private goal -> status code.

PERSONAS = ["admin", "lead", "teammate", "owner", "other_member", "shared", "anonymous"]
OK = "ok"  # the success code of the endpoint


def _expected(persona: str, action: str, visibility: str) -> str | int:
    if persona == "anonymous":
        return "anonymous"
    sees = persona in {"admin", "lead", "owner", "shared"} or (
        persona == "teammate" and visibility == "public"
    )
    if not sees:
        return 404
    if action == "view":
        return OK
    if persona in {"admin", "lead"}:
        return OK
    if action == "progress" and persona == "owner":
        return OK
    return 403


ENDPOINTS = {
    # name: (action, method, url pattern, payload, success code, anonymous code)
    "page_detail": ("view", "get", "/goals/{id}/", None, 200, 302),
    "page_edit": ("edit", "get", "/goals/{id}/edit/", None, 200, 302),
    "page_adjust": ("edit", "get", "/goals/{id}/adjust/", None, 200, 302),
    "page_delete": ("edit", "post", "/goals/{id}/delete/", {}, 302, 302),
    "page_progress": ("progress", "post", "/goals/{id}/progress/", {"tasks_done": 3}, 302, 302),
    "api_detail": ("view", "get", "/api/goals/{id}/", None, 200, 401),
    "api_history": ("view", "get", "/api/goals/{id}/history/", None, 200, 401),
    "api_patch": ("edit", "patch", "/api/goals/{id}/", {"name": "Renamed"}, 200, 401),
    "api_delete": ("edit", "delete", "/api/goals/{id}/", None, 204, 401),
    "api_progress": ("progress", "post", "/api/goals/{id}/progress/", {"tasks_done": 3}, 201, 401),
}


@pytest.fixture
def personas(admin_user, lead, member, teammate, other_member, outsider):
    return {
        "admin": admin_user,
        "lead": lead,
        "teammate": teammate,
        "owner": member,
        "other_member": other_member,
        "shared": outsider,
        "anonymous": None,
    }


@pytest.mark.parametrize("visibility", ["public", "private"])
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(client, period, team, personas, persona, endpoint, visibility):
    goal = make_goal(period, team, owner=personas["owner"], visibility=visibility, name="Matrix")
    goal_share(goal=goal, users=[personas["shared"]])
    action, method, url, payload, success, anonymous = ENDPOINTS[endpoint]
    if personas[persona] is not None:
        client.force_login(personas[persona])
    kwargs = {"content_type": "application/json"} if url.startswith("/api/") else {}
    call = getattr(client, method)
    url = url.format(id=goal.pk)
    response = call(url, payload, **kwargs) if payload is not None else call(url)
    expected = _expected(persona, action, visibility)
    expected = {OK: success, "anonymous": anonymous}.get(expected, expected)
    assert response.status_code == expected, response.content[:300]


# The new-goal form's choices (members to own a goal, team goals to cascade from) come only from
# teams the user may manage: another team named in the query string or the htmx redraw is a 404
# and none of its people or goals are listed.

NEW_GOAL_FORMS = {
    "page": ("get", "/goals/new/"),
    "fields": ("post", "/goals/new/fields/"),
}


def _new_goal_expected(persona: str, team: str) -> int:
    if persona == "admin" or (persona == "lead" and team == "own"):
        return 200
    if persona == "lead":
        return 404
    return 403  # members create no goals at all


@pytest.mark.parametrize("form", list(NEW_GOAL_FORMS))
@pytest.mark.parametrize("team_asked", ["own", "other"])
@pytest.mark.parametrize("persona", ["admin", "lead", "owner", "other_member"])
def test_new_goal_form_choices_matrix(
    client, period, team, other_team, personas, persona, team_asked, form
):
    make_goal(period, team, visibility="private", name="Enterprise secret plan")
    make_goal(period, other_team, visibility="private", name="SMB secret plan")
    MembershipFactory(team=other_team, user__name="Sam Smalltown")
    asked = team if team_asked == "own" else other_team
    client.force_login(personas[persona])
    method, url = NEW_GOAL_FORMS[form]
    data = {"team": asked.pk, "period": period.pk, "goal_type": "metric"}
    response = getattr(client, method)(url, data)
    expected = _new_goal_expected(persona, team_asked)
    assert response.status_code == expected
    text = response.content.decode()
    if expected == 200:
        wanted, unwanted = (
            ("Enterprise secret plan", "SMB secret plan")
            if asked == team
            else ("SMB secret plan", "Enterprise secret plan")
        )
        assert wanted in text and unwanted not in text
        member, stranger = (
            ("Mo Member", "Sam Smalltown") if asked == team else ("Sam Smalltown", "Mo Member")
        )
        assert member in text and stranger not in text
    else:
        assert "SMB secret plan" not in text and "Sam Smalltown" not in text


# The customer page, the breakdown of a CSM's book and a goal's accounts follow the CSM: whoever
# may look up the CSM's goals (the CSM, the people on the CSM's team, admins) sees them; anybody
# else gets a 404, someone a goal is shared with included (they see the goal, not its accounts).

CUSTOMER_ENDPOINTS = {
    # name: (url pattern, success code, anonymous code)
    "customer_page": ("/customers/{customer}/", 200, 302),
    "api_breakdown": (
        "/api/metrics/nrr/breakdown/?user={csm}&start_date=2026-01-01&end_date=2026-03-31",
        200,
        401,
    ),
    "api_breakdown_csv": (
        "/api/metrics/grr/breakdown/?user={csm}&start_date=2026-01-01&end_date=2026-03-31"
        "&format=csv",
        200,
        401,
    ),
    "goal_breakdown": ("/goals/{goal}/breakdown/", 200, 302),
}
SEES_THE_CSM = {"admin", "lead", "owner", "teammate"}


@pytest.mark.parametrize("endpoint", list(CUSTOMER_ENDPOINTS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_customer_matrix(client, period, team, personas, persona, endpoint):
    csm = personas["owner"]
    account = customer(csm, {dt.date(2025, 6, 1): 1_000, dt.date(2026, 2, 1): 1_200})
    goal = Goal.objects.create(
        period=period,
        team=team,
        owner=csm,
        name="Matrix NRR",
        goal_type=Goal.Type.METRIC,
        metric_key="nrr",
        target=105,
    )
    goal_share(goal=goal, users=[personas["shared"]])
    url, success, anonymous = CUSTOMER_ENDPOINTS[endpoint]
    if personas[persona] is not None:
        client.force_login(personas[persona])
    response = client.get(url.format(customer=account.pk, csm=csm.pk, goal=goal.pk))
    expected = {True: success, False: 404}[persona in SEES_THE_CSM]
    if persona == "anonymous":
        expected = anonymous
    assert response.status_code == expected, response.content[:300]
