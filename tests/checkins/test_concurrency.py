import threading

import pytest
import time_machine
from django.db import connection

from checkins.models import CheckIn
from checkins.services import checkin_submit
from tests.builders import WEDNESDAY


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_make_one_check_in(member, member_goal):
    """The unique constraint, not a check in Python, keeps one check-in per goal and week."""
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def save(note: str) -> None:
        try:
            start.wait()
            checkin_submit(goal=member_goal, user=member, confidence=3, note=note)
        except Exception as error:  # collected: the test asserts there were none
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(WEDNESDAY, tick=False):
        threads = [threading.Thread(target=save, args=(note,)) for note in ("one", "two")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert CheckIn.objects.count() == 1
    assert CheckIn.objects.get().note in {"one", "two"}
