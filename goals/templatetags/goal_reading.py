"""How a goal's progress reads in a template: `{% progress_bar goal %}` draws its bar (0..100 %
of the way to the target, a stretch zone, the expected pace) and `{{ goal|progress_text }}` says
it in words ("64%", "below baseline", "1.9 pts under the 90% floor"); `goal|marks` what it aims
at ("95.6 → 98", "Floor 90%", "Target 85.4%"). See goals.display."""

from django import template

from ..display import Marks, goal_marks, progress_reading
from ..models import Goal

register = template.Library()


@register.inclusion_tag("goals/_progress_bar.html")
def progress_bar(goal: Goal) -> dict:
    return {"reading": progress_reading(goal), "status": goal.status}


@register.filter
def progress_text(goal: Goal) -> str:
    return progress_reading(goal).text


@register.filter
def marks(goal: Goal) -> Marks:
    return goal_marks(goal)
