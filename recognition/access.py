"""What a user may see in recognition: achievements of the goals they see. A team's wall and
summaries and a person's badges follow goals_project/people/access.py (get_team_for_user,
get_person_for_user)."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from goals.access import visible_goals
from goals_project.people.access import parse_id
from goals_project.people.models import User

from .models import Achievement


def visible_achievements(
    user: User | AnonymousUser, *, include_withdrawn: bool = False
) -> QuerySet[Achievement]:
    """Achievements of the goals the user may see (one query; visibility is a subquery). A
    withdrawn win is left out of feeds and lists; its own page still opens, saying so."""
    achievements = Achievement.objects.filter(goal__in=visible_goals(user, include_archived=True))
    return achievements if include_withdrawn else achievements.filter(withdrawn_at__isnull=True)


def get_achievement_for_user(user: User | AnonymousUser, achievement_id: int | str) -> Achievement:
    """The achievement with its goal, or Http404 when the user may not see its goal."""
    pk = parse_id(achievement_id)
    if pk is None:
        raise Http404("No such achievement.")
    achievement = (
        visible_achievements(user, include_withdrawn=True)
        .select_related("goal__team", "goal__owner", "goal__period", "milestone")
        .filter(pk=pk)
        .first()
    )
    if achievement is None:
        raise Http404("No such achievement.")
    return achievement
