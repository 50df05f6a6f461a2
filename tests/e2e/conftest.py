"""Real-browser journeys: Playwright driving Debian's Chromium against Django's live server."""

import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass

import pytest

from checkins.weeks import local_today
from goals.models import GoalPeriod
from goals_project.people.models import Membership, Team, User
from tests.builders import GoalPeriodFactory, MembershipFactory, TeamFactory, customer

# Playwright's sync API keeps an event loop on the test thread; the ORM calls made by tests to
# arrange data are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is needed for browser tests: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_FLAGS}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def page(page, request):
    """Playwright's page, which fails the test on any console error or uncaught exception of the
    page (a Content Security Policy violation is a console error), and at the end waits until
    none of its requests is in flight before it closes: a live-server request still running while
    the database is flushed for the next test (htmx's `load` triggers fire just after a page
    appears) can deadlock with the flush.

    A test that provokes an error on purpose (a 404 page) names the expected text with
    `@pytest.mark.console_errors("...")`."""
    in_flight = set()
    problems: list[str] = []
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text} ({page.url})")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error} ({page.url})"))
    yield page
    deadline = time.monotonic() + 10
    while in_flight and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    page.close()
    expected = [
        text for marker in request.node.iter_markers("console_errors") for text in marker.args
    ]
    unexpected = [p for p in problems if not any(text in p for text in expected)]
    assert not unexpected, "The page reported errors:\n" + "\n".join(unexpected)


def quarter_of(day: dt.date, offset: int = 0) -> tuple[dt.date, dt.date]:
    """The calendar quarter `offset` quarters from the one holding `day`: (first, last day)."""
    index = day.year * 4 + (day.month - 1) // 3 + offset
    start = dt.date(index // 4, index % 4 * 3 + 1, 1)
    next_index = index + 1
    end = dt.date(next_index // 4, next_index % 4 * 3 + 1, 1) - dt.timedelta(days=1)
    return start, end


@dataclass
class CsTeam:
    team: Team
    lead: User
    members: list[User]
    quarter: GoalPeriod
    next_quarter: GoalPeriod
    last_quarter: GoalPeriod


@pytest.fixture
def cs_team(transactional_db) -> CsTeam:
    """Enterprise: Lena (lead), Mo and Tia, each with two customers whose ARR moved since last
    quarter; last, this and next quarter. Only unrelated fixtures: the goals are the journeys'."""
    team = TeamFactory(name="Enterprise")
    lead = MembershipFactory(
        team=team, role=Membership.Role.LEAD, user__email="lena@example.com", user__name="Lena Lead"
    ).user
    members = [
        MembershipFactory(team=team, user__email=email, user__name=name).user
        for email, name in (("mo@example.com", "Mo Member"), ("tia@example.com", "Tia Mate"))
    ]
    today = local_today()
    periods = []
    for offset, status in ((-1, "completed"), (0, "active"), (1, "planning")):
        start, end = quarter_of(today, offset)
        name = f"Q{(start.month - 1) // 3 + 1} {start.year}"
        periods.append(GoalPeriodFactory(name=name, start=start, end=end, status=status))
    last_quarter, quarter, next_quarter = periods
    for index, person in enumerate([lead, *members]):
        for step in range(2):
            customer(
                person,
                {
                    last_quarter.start - dt.timedelta(days=10): 100_000 + 10_000 * index,
                    quarter.start + dt.timedelta(days=3 + step): 104_000
                    + 9_000 * index
                    - 2_000 * step,
                },
            )
    return CsTeam(team, lead, members, quarter, next_quarter, last_quarter)
