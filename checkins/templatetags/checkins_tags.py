"""`{% checkins_nav %}` (navigation links) and `{% goal_checkins goal viewer %}` (a goal's
history as the viewer may read it)."""

from django import template

from goals.models import Goal

from ..selectors import checkins_for_goal

register = template.Library()


@register.inclusion_tag("checkins/_nav.html", takes_context=True)
def checkins_nav(context) -> dict:
    """Check-in and "Needs my attention" links. The count is fetched by htmx after the page
    loads, so no page pays for the queue's queries when it renders."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return {
        "membership": context.get("nav_membership"),
        "current": match.view_name if match else "",
    }


@register.inclusion_tag("checkins/_goal_checkins.html")
def goal_checkins(goal: Goal, viewer) -> dict:
    return {"checkins": checkins_for_goal(goal, viewer)}


@register.filter
def status_label(status: str | None) -> str:
    """'at_risk' -> 'At risk' (a goal status as people read it)."""
    return Goal.Status(status).label if status in Goal.Status.values else ""
