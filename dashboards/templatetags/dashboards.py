"""`{% goal_panels %}`: the goal page's chart, contributions and comparison.

A template tag (rather than an import in goals.views) keeps the dependency one way: dashboards
reads goals; goals only names this tag library in its template.
"""

from django import template

from ..goal_detail import goal_detail_panels
from ..selectors import local_today

register = template.Library()


@register.inclusion_tag("dashboards/goal_panels.html", takes_context=True)
def goal_panels(context: template.Context) -> dict:
    request = context["request"]
    goal = context["goal"]
    return {
        "panels": goal_detail_panels(viewer=request.user, goal=goal, today=local_today()),
        "csp_nonce": context.get("csp_nonce"),
    }


@register.inclusion_tag("dashboards/_nav.html", takes_context=True)
def dashboards_nav(context: template.Context) -> dict:
    """Teams (admins), My goals, Leaderboard and Health (leads and admins) links; no query."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    membership = context.get("nav_membership")
    user = context.get("user")
    return {
        "membership": membership,
        "show_health": bool(user and (user.is_staff or (membership and membership.is_lead))),
        # Admins outside a team reach the team dashboards from here (leads land on theirs).
        "show_teams": bool(user and user.is_staff and not membership),
        "current": match.view_name if match else "",
    }
