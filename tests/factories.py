"""factory-boy factories shared by the whole suite."""

import datetime as dt

import factory

from goals_project.people.models import Membership, Team, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER


class GoalPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "goals.GoalPeriod"

    name = factory.Sequence(lambda n: f"Q{n % 4 + 1} {2026 + n // 4}")
    period_type = "quarterly"
    start = factory.Sequence(lambda n: dt.date(2026 + n // 4, 3 * (n % 4) + 1, 1))
    end = factory.LazyAttribute(
        lambda p: (
            (
                p.start.replace(year=p.start.year + 1, month=1)
                if p.start.month == 10
                else p.start.replace(month=p.start.month + 3)
            )
            - dt.timedelta(days=1)
        )
    )
    status = "active"


class GoalFactory(factory.django.DjangoModelFactory):
    """A public task goal of the team by default; pass owner= for an individual goal."""

    class Meta:
        model = "goals.Goal"

    period = factory.SubFactory(GoalPeriodFactory)
    team = factory.SubFactory(TeamFactory)
    owner = None
    name = factory.Sequence(lambda n: f"Goal {n}")
    goal_type = "task"
    task_target = 10
