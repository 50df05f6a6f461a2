"""`{% dashboards_nav %}`: the dashboards' navigation links."""

from django import template

register = template.Library()


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
