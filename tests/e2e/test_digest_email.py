"""The weekly digest as an email client shows it: the HTML part rendered in Chromium in a 600 px
wide window, nothing cut off or pushing the message sideways, the goals' links and chips there."""

import time_machine
from playwright.sync_api import Page, expect

from checkins.digest import digest_email
from tests.checkins.test_digest_layout import MONDAY, MONDAY_9AM, team_goals  # noqa: F401

EMAIL_WIDTH = 600


def test_a_leads_digest_fits_600_px_in_chromium(page: Page, lead, team_goals):  # noqa: F811
    with time_machine.travel(MONDAY_9AM, tick=False):
        html = digest_email(lead, MONDAY).alternatives[0].content
    page.set_viewport_size({"width": EMAIL_WIDTH, "height": 900})
    page.set_content(f"<!doctype html><html><body style='margin:0'>{html}</body></html>")

    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == EMAIL_WIDTH, f"{widths[0]} px wide in a 600 px window"
    sticking_out = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
            .map(e => e.tagName + ': ' + e.textContent.trim().slice(0, 40))"""
    )
    assert sticking_out == []
    table = page.get_by_role("table").filter(has_text="Keep gross retention above 90%")
    expect(table.get_by_role("link", name="Keep gross retention above 90%")).to_be_visible()
    expect(table.get_by_text("1.9 pts under the 90% floor")).to_be_visible()
    chip = table.get_by_text("Behind", exact=True)
    expect(chip).to_have_css("background-color", "rgb(253, 231, 229)")
    expect(page.get_by_role("link", name="Check in for this week")).to_be_visible()
