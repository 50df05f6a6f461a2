"""What a user may see in recognition: achievements of goals they see, their team, its people."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from goals.access import is_admin, visible_goals
from goals_project.people.models import Team, User
from goals_project.people.selectors import membership_of

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
    try:
        pk = int(achievement_id)
    except (TypeError, ValueError):
        raise Http404("No such achievement.") from None
    achievement = (
        visible_achievements(user, include_withdrawn=True)
        .select_related("goal__team", "goal__owner", "goal__period", "milestone")
        .filter(pk=pk)
        .first()
    )
    if achievement is None:
        raise Http404("No such achievement.")
    return achievement


def get_team_for_user(user: User | AnonymousUser, team_id: int | str) -> Team:
    """A team's recognition pages are for its members and admins; anyone else gets a 404."""
    try:
        pk = int(team_id)
    except (TypeError, ValueError):
        raise Http404("No such team.") from None
    if is_admin(user):
        team = Team.objects.filter(pk=pk).first()
    else:
        membership = membership_of(user) if user.is_authenticated else None
        team = membership.team if membership and membership.team_id == pk else None
    if team is None:
        raise Http404("No such team.")
    return team


def get_person_for_user(user: User | AnonymousUser, person_id: int | str) -> User:
    """A person's badges are seen by the person, their teammates and admins; others get a 404."""
    try:
        pk = int(person_id)
    except (TypeError, ValueError):
        raise Http404("No such person.") from None
    person = User.objects.select_related("membership__team").filter(pk=pk, is_active=True).first()
    if person is None or not user.is_authenticated:
        raise Http404("No such person.")
    if person.pk == user.pk or is_admin(user):
        return person
    mine, theirs = membership_of(user), membership_of(person)
    if mine is None or theirs is None or mine.team_id != theirs.team_id:
        raise Http404("No such person.")
    return person
