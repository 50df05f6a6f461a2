"""No text names a goal its reader may not see.

A team's private goals are achieved (a team goal, a milestone of a team goal, a member's own
goal), celebrated, asked and answered about, earn badges, end up in the period summary, the
weekly digest, the highlights and the contribution endpoints. Then every person of the
organisation reads everything they can reach: the notification centre, their emails, every
badge page, the summary, their digest, the feed, the highlights, the attention queue and the
contribution endpoints. Whoever may not see a goal (the goal page's rule, goals.access) finds
neither its name nor its milestone's, only "a private team goal"; whoever may see it reads it.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from checkins.digest import digest_email
from checkins.services import support_request_open, support_request_step
from goals import services as goal_services
from goals.access import can_view_goal
from goals.models import ContributionSnapshot, Goal
from goals.signals import goals_recalculated
from goals_project.people.tokens import api_token_create
from notifications.kinds import notification_kinds, preference_kinds
from notifications.models import Delivery, Notification
from notifications.preferences import notification_settings_update
from recognition.models import Achievement
from recognition.services import achievement_celebrate, badges_award
from recognition.summaries import period_summary_build
from tests.builders import GoalFactory, reach, set_at_quarter_start

pytestmark = pytest.mark.django_db

THURSDAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)  # ISO week 2026-W48
MONDAY = dt.date(2026, 11, 30)  # the digest about W48
NOTIFICATION_KINDS = {kind.key for kind in notification_kinds()}


def prefer(user, delivery: str) -> None:
    notification_settings_update(
        user=user,
        weekly_digest=True,
        deliveries={kind.key: delivery for kind in preference_kinds()},
    )


def metric_goal(quarter, team, name, *, owner=None, visibility="private") -> Goal:
    return set_at_quarter_start(
        GoalFactory(
            period=quarter,
            team=team,
            owner=owner,
            name=name,
            goal_type=Goal.Type.METRIC,
            metric_key="nrr",
            task_target=None,
            baseline=Decimal("100"),
            target=Decimal("105"),
            visibility=visibility,
        )
    )


@pytest.fixture
def organisation(
    quarter,
    team,
    admin_user,
    lead,
    member,
    teammate,
    other_member,
    django_capture_on_commit_callbacks,
):
    """Every kind of notification about private goals, to every kind of recipient."""
    prefer(lead, Delivery.IMMEDIATE)
    prefer(member, Delivery.IMMEDIATE)
    prefer(teammate, Delivery.DIGEST)
    secret_team = metric_goal(quarter, team, "Operation Nightjar")
    launch = set_at_quarter_start(
        goal_services.goal_create(
            period=quarter,
            team=team,
            name="Nightjar launch plan",
            goal_type=Goal.Type.MILESTONE,
            visibility=Goal.Visibility.PRIVATE,
            milestones=[{"name": "Sign the Kestrel term sheet"}, {"name": "Go live"}],
            created_by=lead,
        )
    )
    secret_own = metric_goal(quarter, team, "Mo's confidential renewal", owner=member)
    public_team = metric_goal(quarter, team, "Team NRR", visibility="public")
    for goal in (secret_team, public_team):
        for person, own in ((member, secret_own), (teammate, None)):
            ContributionSnapshot.objects.create(
                goal=goal,
                member=person,
                individual_goal=own,
                as_of=dt.date(2026, 11, 20) + dt.timedelta(days=(person == member) * 4),
                points=Decimal("40") + (person == member) * 5,
                share=Decimal("0.5"),
                member_value=Decimal("104"),
            )
    with (
        time_machine.travel(THURSDAY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reach(secret_team, Goal.Status.ACHIEVED, value="106")  # achievement: the whole team
        goal_services.milestone_complete(milestone=launch.milestones.first(), by=lead)
        reach(secret_own, Goal.Status.ACHIEVED, value="106")  # achievement: its owner
        win = Achievement.objects.get(goal=secret_own, kind="achieved")
        achievement_celebrate(achievement=win, by=lead, message="Great save")  # celebration
        asked = support_request_open(  # support request: a teammate who may not see the goal
            goal=secret_own, requester=member, message="Can you cover a call?", addressee=teammate
        )
        support_request_step(  # support update: back to its owner
            support_request=asked, by=teammate, step="resolve", reply="Done, all good"
        )
        badges_award(today=THURSDAY.date())  # badge: first goal
        # early warning: the launch plan's trend gives it little chance (its leads are told)
        Goal.objects.filter(pk=launch.pk).update(
            status=Goal.Status.ON_TRACK,
            forecast_value=Decimal("1"),
            forecast_target_probability=Decimal("10"),
        )
        goals_recalculated.send(sender=Goal, goal_ids=[launch.pk])
    secret_team.period.status = "completed"
    secret_team.period.save(update_fields=["status"])
    period_summary_build(period=quarter, team=team)
    return {
        "goals": {
            secret_team: ["Operation Nightjar"],
            launch: ["Nightjar launch plan", "Kestrel"],
            secret_own: ["Mo's confidential renewal"],
            public_team: ["Team NRR"],
        },
        "people": [admin_user, lead, member, teammate, other_member],
        "team": team,
        "quarter": quarter,
    }


def everything_read_by(client, reader, organisation) -> dict[str, str]:
    """Every text the reader can reach, by where they read it."""
    team, quarter = organisation["team"], organisation["quarter"]
    client.force_login(reader)
    texts = {}

    def page(name, url):
        response = client.get(url)
        texts[name] = response.content.decode() if response.status_code == 200 else ""

    page("notification centre", reverse("notifications:list"))
    for person in organisation["people"]:
        page(f"badges of {person}", reverse("recognition:person_badges", args=[person.pk]))
    page("period summary", reverse("recognition:period_summary", args=[team.pk, quarter.pk]))
    page("feed", reverse("recognition:team_celebrations", args=[team.pk]))
    page("highlights", reverse("recognition:team_highlights", args=[team.pk]) + "?week=2026-W48")
    page("attention queue", reverse("checkins:attention"))
    for message in mail.outbox:
        if message.to == [reader.email]:
            parts = [message.subject, message.body, *(c for c, _ in message.alternatives)]
            texts[f"email {message.subject}"] = "\n".join(parts)
    if getattr(reader, "membership", None) is not None:
        with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), tick=False):
            digest = digest_email(reader, MONDAY)
        texts["weekly digest"] = "\n".join(
            [digest.subject, digest.body, *(c for c, _ in digest.alternatives)]
        )
    _, secret = api_token_create(user=reader, name="read", scopes=["read"])
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    for person in organisation["people"]:
        response = client.get(f"/api/users/{person.pk}/contributions/", **bearer)
        texts[f"contributions of {person}"] = response.content.decode()
    for goal in organisation["goals"]:
        response = client.get(f"/api/goals/{goal.pk}/contributions/", **bearer)
        texts[f"contributions to goal {goal.pk}"] = response.content.decode()
    return texts


def test_every_notification_kind_and_recipient_names_only_the_goals_they_may_see(
    client, organisation
):
    kinds = set(Notification.objects.values_list("kind", flat=True))
    # The period summary's notification goes out when a period closes; the rest happened here.
    assert kinds >= NOTIFICATION_KINDS - {"period_summary"}
    for reader in organisation["people"]:
        texts = everything_read_by(client, reader, organisation)
        for goal, names in organisation["goals"].items():
            visible = can_view_goal(reader, goal)
            for name in names:
                leaks = [
                    where
                    for where, text in texts.items()
                    if name in text or name.replace("'", "&#x27;") in text
                ]
                if not visible:
                    assert leaks == [], f"{reader} reads “{name}” in {leaks}"
        # Not a vacuous check: each reader was told about the wins, in the form they may read.
        notifications = texts["notification centre"]
        if reader.pk in {organisation["people"][2].pk, organisation["people"][3].pk}:
            assert "reached the target of a private team goal" in notifications or (
                "reached the target of “Operation Nightjar”" in notifications
            )


def test_the_readers_who_may_see_a_private_goal_read_its_name(client, organisation):
    admin_user, lead, member, teammate, _ = organisation["people"]
    lead_texts = everything_read_by(client, lead, organisation)
    assert (
        "Enterprise reached the target of “Operation Nightjar”" in lead_texts["notification centre"]
    )
    assert (
        "“Sign the Kestrel term sheet” of “Nightjar launch plan”"
        in lead_texts["notification centre"]
    )
    member_texts = everything_read_by(client, member, organisation)
    assert (
        "Enterprise reached the target of a private team goal"
        in member_texts["notification centre"]
    )
    assert (
        "Enterprise completed a milestone of a private team goal"
        in member_texts["notification centre"]
    )
    assert (
        "celebrated your win on “Mo&#x27;s confidential renewal”"
        in member_texts["notification centre"]
    )
    emailed = "\n".join(text for where, text in member_texts.items() if where.startswith("email"))
    assert "reached the target of a private team goal" in emailed
    teammate_texts = everything_read_by(client, teammate, organisation)
    assert "Mo Member asked for help on a private goal" in teammate_texts["notification centre"]
    assert (
        "First goal achieved: a private team goal (Q4 2026)"
        in teammate_texts[f"badges of {teammate}"]
    )
    assert "Enterprise reached the target of a private team goal" in teammate_texts["weekly digest"]
    assert (
        "First goal achieved: “Operation Nightjar” (Q4 2026)" in lead_texts[f"badges of {teammate}"]
    )
    assert (
        "Operation Nightjar"
        in everything_read_by(client, admin_user, organisation)["period summary"]
    )
