"""An open team dashboard an hour later: its polls asked whether the numbers changed (its copy's
ETag; nothing had, so the server answered 304 Not Modified), and the "last updated" times still
say how long ago, not what they said an hour ago."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from goals import recalc
from goals.services import goal_create

from .support import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_idle_dashboard_is_not_modified_and_its_times_move_on(page: Page, live_server, cs_team):
    goal = goal_create(
        period=cs_team.quarter,
        team=cs_team.team,
        name="Team NRR",
        goal_type="metric",
        metric_key="nrr",
        baseline=Decimal(100),
        target=Decimal(110),
        created_by=cs_team.lead,
    )
    recalc.recalculate_goals([goal.pk])
    polls: list[tuple[str | None, str | None]] = []  # (If-None-Match sent, ETag answered)

    def poll_of_the_numbers(response):
        request = response.request.all_headers()
        if request.get("hx-target") == "live":
            polls.append((request.get("if-none-match"), response.all_headers().get("etag")))

    page.on("response", poll_of_the_numbers)
    page.clock.install(time=timezone.now())
    log_in(page, live_server.url, "lena@example.com")
    updated = page.locator("tr", has_text="Team NRR").locator("time[data-since]")
    expect(updated).to_have_text(re.compile("^0\u00a0minutes ago$"))

    # An hour and five minutes later, the polls (every 10 s) found nothing new...
    page.clock.fast_forward("01:05:00")
    expect(updated).to_have_text("1\u00a0hour, 5\u00a0minutes ago")
    # Three polls answered (a slow answer makes the next tick wait: htmx drops a poll while one
    # is in flight, so tick until three came back, within a bound).
    for _ in range(30):
        if len(polls) >= 3:
            break
        page.clock.run_for(10_000)
        page.wait_for_timeout(300)
    # The browser asked each time whether its copy (the first poll's ETag) was still good: the
    # server answers such a request 304 Not Modified (tests/dashboards/test_not_modified.py)
    # and the browser swaps its copy back in, whose times the page then moves on.
    first_etag = polls[0][1]
    assert first_etag and len(polls) >= 3
    assert all(sent == first_etag for sent, _ in polls[1:]), polls
