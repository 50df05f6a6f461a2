import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from checkins.demo import seed_checkins
from checkins.models import CheckIn, SupportRequest
from checkins.selectors import attention_queue
from goals_project.people.models import User

from ..factories import GoalFactory, GoalPeriodFactory

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC), tick=False)
def test_demo_check_ins_fill_the_leads_queue_once():
    call_command("seed_demo", stdout=io.StringIO())
    quarter = GoalPeriodFactory(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    for email in ["ana.ruiz@goalpost.example", "dev.patel@goalpost.example"]:
        owner = User.objects.get(email=email)
        GoalFactory(period=quarter, team=owner.membership.team, owner=owner)

    assert seed_checkins() == 4  # Ana three weeks, Dev only three weeks ago
    assert seed_checkins() == 0
    assert CheckIn.objects.exclude(blockers="").count() == 1
    assert SupportRequest.objects.get().status == "open"

    queue = attention_queue(User.objects.get(email="elena.lead@goalpost.example"))
    assert [r.requester.email for r in queue.support_requests] == ["ana.ruiz@goalpost.example"]
    assert len(queue.blockers) == 1
    assert [(m.user.email, m.escalated) for m in queue.missed] == [
        ("dev.patel@goalpost.example", True)
    ]
