import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from checkins.demo import seed_checkins
from checkins.models import CheckIn, SupportRequest
from checkins.selectors import attention_queue
from goals_project.people.models import User

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC), tick=False)
def test_demo_check_ins_fill_the_leads_queue_once():
    call_command("seed_demo", stdout=io.StringIO())
    assert CheckIn.objects.count() > 0
    assert seed_checkins() == 0  # a second run adds nothing
    assert CheckIn.objects.exclude(blockers="").count() == 1
    request = SupportRequest.objects.get()
    assert (request.requester.email, request.status) == ("ana.ruiz@goalpost.example", "open")

    queue = attention_queue(User.objects.get(email="elena.lead@goalpost.example"))
    assert [r.requester.email for r in queue.support_requests] == ["ana.ruiz@goalpost.example"]
    assert len(queue.blockers) == 1
    assert ("dev.patel@goalpost.example", True) in [
        (m.user.email, m.escalated) for m in queue.missed
    ]
