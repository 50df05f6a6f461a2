"""How a text names a goal for its reader: by name for who may see the goal (the goal page's
rule, goals.access), neutrally for anyone else ("a private team goal").

Texts that name a goal (notifications, their emails, badge reasons, summaries, digests,
highlights, the attention queue) are kept in two forms, named and neutral, with the goal they
name; each reader gets the form their visibility allows at the moment they read it, so a goal
made private later stops being named, and one shared later starts being named.
"""

from collections.abc import Iterable

from .access import AnyUser, visible_goals
from .models import Goal


def named(goal: Goal) -> str:
    return f"“{goal.name}”"


def unnamed(goal: Goal) -> str:
    return "a private team goal" if goal.owner_id is None else "a private goal"


def mention(goal: Goal, *, visible: bool) -> str:
    """The goal as a reader who may (or may not) see it reads its name."""
    return named(goal) if visible else unnamed(goal)


def visible_goal_ids(user: AnyUser, goal_ids: Iterable[int | None]) -> set[int]:
    """Which of these goals the user may see, archived ones included (one query)."""
    wanted = {pk for pk in goal_ids if pk is not None}
    if not wanted:
        return set()
    return set(
        visible_goals(user, include_archived=True)
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )


def text_for_reader(
    named_text: str, neutral_text: str, *, goal_id: int | None, visible: bool
) -> str:
    """The form of a stored text a reader gets. An empty neutral form means the text names no
    goal; a text whose goal is gone (purged) is shown neutral to everyone."""
    if not neutral_text:
        return named_text
    return named_text if goal_id is not None and visible else neutral_text
