"""Dashboard pages: thin views that parse, check access, call a selector and render.

An htmx request (filters, sorting, the 10-second poll) gets only the `live` partial.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from goals import objectives as objective_services
from goals.access import (
    can_create_goal,
    can_edit_goal,
    get_goal_for_user,
    parse_id,
    require,
    require_goal_right,
    visible_objectives,
)
from goals.models import Goal, GoalPeriod
from goals_project.people import access as people_access
from goals_project.people.models import Team
from goals_project.people.selectors import membership_of
from metrics.registry import METRICS

from . import customers, selectors
from . import health as health_selectors
from . import leaderboard as leaderboard_selectors
from . import tree as tree_selectors
from .conditional import conditional, not_modified_since
from .models import DashboardView, LeaderboardSetting
from .services import dashboard_view_record, leaderboard_setting_update


def _period(request: HttpRequest) -> tuple[GoalPeriod | None, list[GoalPeriod]]:
    """The asked period (404 when unknown), else the default one; None when there is none."""
    today = selectors.local_today()
    periods = selectors.all_periods(today)
    wanted = request.GET.get("period")
    try:
        return selectors.pick_period(periods, wanted, today), periods
    except GoalPeriod.DoesNotExist:
        if wanted:
            raise Http404("No such goal period.") from None
        return None, periods


def _render(request: HttpRequest, template: str, context: dict, page: str) -> HttpResponse:
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{template}#live", context)
    dashboard_view_record(user=request.user, page=page)
    return render(request, template, context)


@login_required
def team_index(request: HttpRequest) -> HttpResponse:
    """The team dashboard to start from: your own team's, or the first team's for an admin."""
    membership = membership_of(request.user)
    team = membership.team if membership else None
    if team is None and request.user.is_staff:
        team = Team.objects.order_by("name").first()
    if team is None:
        raise Http404("You are not on a team.")
    return redirect("team_dashboard", team_id=team.pk)


@login_required
def team_dashboard(request: HttpRequest, team_id: int) -> HttpResponse:
    """A team's goals for a period: summary strip, filters, one row per goal, live numbers."""
    team = get_object_or_404(Team, pk=team_id)
    if not people_access.can_view_team(request.user, team):
        raise Http404("No such team.")
    period, periods = _period(request)
    etag = None
    if period is not None and request.htmx and not request.htmx.boosted:
        # The poll (and the filters) ask for the live part: unchanged, it is a 304.
        etag = selectors.team_dashboard_version(
            viewer=request.user,
            team=team,
            period=period,
            query=request.GET.urlencode(),
            today=selectors.local_today(),
        )
        if request.GET.get("view") == "tree":
            # The tree's objectives roll up other teams' goals too.
            etag = tree_selectors.tree_version(period=period, base=etag)
        if (response := not_modified_since(request, etag)) is not None:
            return response
    context = {
        "team": team,
        "periods": periods,
        "period": period,
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        "can_create": can_create_goal(request.user, team),
    }
    if request.user.is_staff and not request.htmx:
        # Admins switch between teams here; everyone else has only their own team.
        context["other_teams"] = Team.objects.order_by("name")
    if period is not None:
        context["board"] = selectors.team_dashboard(
            viewer=request.user,
            team=team,
            period=period,
            periods=periods,
            filters=selectors.GoalFilters.from_query(request.GET),
            today=selectors.local_today(),
        )
        context["sorts"] = selectors.SORTS.items()
        context["goal_types"] = Goal.Type.choices
        if request.GET.get("view") == "tree":
            context["tree"] = tree_selectors.goal_tree(
                viewer=request.user,
                period=period,
                team=team,
                filters=context["board"].filters,
                today=selectors.local_today(),
            )
    response = _render(request, "dashboards/team.html", context, DashboardView.Page.TEAM)
    return conditional(response, etag) if etag else response


def _individual(request: HttpRequest, person) -> HttpResponse:
    period, periods = _period(request)
    membership = membership_of(person)
    context = {
        "person": person,
        "periods": periods,
        "period": period,
        "person_team": membership.team if membership else None,
        "can_create": membership is not None and can_create_goal(request.user, membership.team),
    }
    if period is not None:
        context["board"] = selectors.individual_dashboard(
            viewer=request.user,
            person=person,
            period=period,
            periods=periods,
            today=selectors.local_today(),
        )
    return _render(request, "dashboards/individual.html", context, DashboardView.Page.INDIVIDUAL)


@login_required
def my_dashboard(request: HttpRequest) -> HttpResponse:
    """My goals, my contribution to my team's goals, my trend and my check-in streak."""
    return _individual(request, request.user)


@login_required
def person_dashboard(request: HttpRequest, user_id: int) -> HttpResponse:
    """A member's page as their lead (or an admin) sees it; anyone else gets a 404."""
    return _individual(request, people_access.get_managed_person(request.user, user_id))


@login_required
def leaderboard(request: HttpRequest) -> HttpResponse:
    """One team's leaderboard (its lead's settings), or all teams' with the chosen ranking."""
    teams = people_access.visible_teams(request.user)
    period, periods = _period(request)
    team = leaderboard_selectors.chosen_team(request.GET.get("team", ""), teams)
    context = {"periods": periods, "period": period, "teams": teams}
    if period is not None and teams:
        context["board"] = leaderboard_selectors.leaderboard(
            viewer=request.user,
            period=period,
            team=team,
            teams=teams,
            ranks_by=request.GET.get("by"),
            metric_key=request.GET.get("metric"),
        )
        context["ranks_by_choices"] = LeaderboardSetting.RanksBy.choices
        context["metric_options"] = [(key, metric.label) for key, metric in METRICS.items()]
    return _render(request, "dashboards/leaderboard.html", context, DashboardView.Page.LEADERBOARD)


@login_required
@require_POST
def leaderboard_settings(request: HttpRequest, team_id: int) -> HttpResponse:
    """A lead turns their team's leaderboard on or off and chooses what it ranks."""
    team = people_access.get_team_for_user(request.user, team_id)
    require(
        people_access.can_lead_team(request.user, team),
        "Only the team's leads and admins may change its leaderboard.",
    )
    try:
        leaderboard_setting_update(
            team=team,
            by=request.user,
            enabled=request.POST.get("enabled") == "on",
            ranks_by=request.POST.get("ranks_by", ""),
            metric_key=request.POST.get("metric_key", ""),
        )
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            messages.error(request, f"{field}: {' '.join(problems)}")
    else:
        messages.success(request, f"The leaderboard settings of {team.name} are saved.")
    return redirect(f"{reverse('leaderboard')}?team={team.pk}")


@login_required
def program_health(request: HttpRequest) -> HttpResponse:
    """The program's success measures (admins: all teams; leads: their team)."""
    teams = people_access.led_teams(request.user)
    if not (teams or people_access.is_admin(request.user)):
        raise Http404("Program health is for admins and team leads.")
    label = "All teams" if request.user.is_staff else ", ".join(team.name for team in teams)
    health = health_selectors.program_health(
        teams=teams, today=selectors.local_today(), scope_label=label
    )
    rows = zip(health.weeks, health.checkin_completion, health.views_per_member, strict=True)
    context = {"health": health, "health_rows": list(rows)}
    return _render(request, "dashboards/health.html", context, DashboardView.Page.HEALTH)


@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A customer's ARR history, renewals, NPS responses and QBRs, its CSM and the goals it
    counts in; visible to whoever may look up its CSM (404 for anyone else)."""
    customer = customers.get_customer_for_viewer(request.user, customer_id)
    page = customers.customer_page(request.user, customer, selectors.local_today())
    return render(request, "dashboards/customer.html", {"page": page, "customer": customer})


@login_required
def goal_breakdown(request: HttpRequest, goal_id: int) -> HttpResponse:
    """The accounts behind a metric goal's value, loaded by the goal page on demand (htmx):
    404 for a goal the user may not see, or whose accounts they may not see."""
    goal = get_goal_for_user(request.user, goal_id)
    panel = customers.goal_breakdown_panel(
        viewer=request.user, goal=goal, today=selectors.local_today()
    )
    if panel is None or not panel.allowed:
        raise Http404("No breakdown of this goal for you.")
    context = {"panel": panel, "page": customers.goal_breakdown(panel)}
    return render(request, "dashboards/_breakdown.html", context)


def _tree_context(request: HttpRequest, *, period: GoalPeriod, team: Team | None, query) -> dict:
    filters = selectors.GoalFilters.from_query(query)
    tree = tree_selectors.goal_tree(
        viewer=request.user,
        period=period,
        team=team,
        filters=filters,
        today=selectors.local_today(),
    )
    return {"tree": tree, "period": period, "team": team, "goal_types": Goal.Type.choices}


@login_required
def objectives_page(request: HttpRequest) -> HttpResponse:
    """The company's tree: every objective of the period, the team goals aligned to it and the
    individual goals under them, as the viewer may see them; or the same goals as a flat list."""
    period, periods = _period(request)
    context = {"periods": periods, "period": period, "view": request.GET.get("view", "tree")}
    if period is not None:
        context |= _tree_context(request, period=period, team=None, query=request.GET)
        context["statuses"] = Goal.Status.choices
        context["can_create_objective"] = request.user.is_staff
        context["list_rows"] = context["tree"].matching_rows()
    return _render(request, "dashboards/objectives.html", context, DashboardView.Page.TEAM)


@login_required
@require_POST
def objective_align(request: HttpRequest, goal_id: int) -> HttpResponse:
    """A lead or an admin moves a team goal to another objective (or to none) from the tree;
    the move is audited on the goal. htmx gets the redrawn tree, a plain form the page."""
    goal = get_goal_for_user(request.user, goal_id)
    require_goal_right(can_edit_goal, request.user, goal)
    raw = request.POST.get("objective", "")
    objective = None
    if raw:
        objective = visible_objectives(request.user).filter(pk=parse_id(raw) or 0).first()
        if objective is None:
            raise Http404("No such objective.")
    team = None
    if request.POST.get("team"):
        team = people_access.get_team_for_user(request.user, request.POST["team"])
    try:
        objective_services.goal_align(
            goal=goal, objective=objective, by=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        message = " ".join(error.message_dict.get("objective", error.messages))
        level = messages.ERROR
    else:
        where = f"“{objective.name}”" if objective else "no objective"
        message, level = f"Moved “{goal.name}” to {where}.", messages.SUCCESS
    if request.htmx:
        context = _tree_context(request, period=goal.period, team=team, query=request.POST)
        context["tree_message"] = message
        context["tree_message_level"] = "error" if level == messages.ERROR else "success"
        return render(request, "dashboards/_tree.html", context)
    messages.add_message(request, level, message)
    if team is not None:
        return redirect(
            f"{reverse('team_dashboard', args=[team.pk])}?period={goal.period_id}&view=tree"
        )
    return redirect(f"{reverse('objectives')}?period={goal.period_id}")
