"""`{% checkins_nav %}` (navigation links) and the `status_label` filter."""

from django import template

from goals.models import Goal

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


@register.filter
def status_label(status: str | None) -> str:
    """'at_risk' -> 'At risk' (a goal status as people read it)."""
    return Goal.Status(status).label if status in Goal.Status.values else ""
