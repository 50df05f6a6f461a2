"""The demo recognition: wins of the demo goals, a few kudos, badges; running it again adds none."""

from django.core import mail

from goals.models import Goal
from notifications.models import Notification
from recognition.demo import seed_recognition
from recognition.models import Achievement, Celebration
from tests.builders import GoalFactory, MembershipFactory, recalculated, set_at_quarter_start


def test_seed_recognition_is_idempotent_and_sends_no_email(
    quarter, django_capture_on_commit_callbacks
):
    ana = MembershipFactory(user__email="ana@goalpost.example", user__name="Ana").user
    team = ana.membership.team
    for email in ("ben@goalpost.example", "chloe@goalpost.example"):
        MembershipFactory(team=team, user__email=email)
    goal = set_at_quarter_start(GoalFactory(period=quarter, team=team, owner=ana, name="QBRs"))
    recalculated(goal, Goal.Status.ACHIEVED)  # the demo's backfill crossed the target

    with django_capture_on_commit_callbacks(execute=True):
        first = seed_recognition()
    with django_capture_on_commit_callbacks(execute=True):
        second = seed_recognition()

    assert first == {"achievements": 1, "celebrations": 2, "badges": 1, "summaries": 0}
    assert second == {"achievements": 0, "celebrations": 0, "badges": 0, "summaries": 0}
    assert Achievement.objects.get().goal.name == "QBRs"
    assert Celebration.objects.count() == 2
    assert Notification.objects.filter(user=ana).count() == 4  # the win, 2 kudos, the badge
    assert mail.outbox == []
