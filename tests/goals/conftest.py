from datetime import date

import pytest
import time_machine

from goals import services


@pytest.fixture
def mid_quarter():
    """15 February 2026, noon UTC: halfway through `q1` (use it with pytest.mark.usefixtures)."""
    with time_machine.travel("2026-02-15 12:00Z", tick=False):
        yield


@pytest.fixture
def q1(db):
    return services.period_create(
        name="Q1 2026", period_type="quarterly", start=date(2026, 1, 1), end=date(2026, 3, 31)
    )
