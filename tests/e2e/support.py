"""What every browser journey does between clicks: log in through the form, check that the page in
front of the person is accessible (axe-core) and, at phone width, that nothing is cut off."""

from __future__ import annotations

import json

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page, expect

from tests.builders import PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# axe-core's rules at the impacts that block people (WCAG A/AA and best practices).
# label-content-name-mismatch is off by default in axe-core (experimental); a button whose
# accessible name differs from its text misleads voice control users, so it is checked too.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}
BLOCKING = {"serious", "critical"}


def log_in(page: Page, url: str, email: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person does (after logging out anyone before)."""
    if page.url.startswith("http"):
        # A request the last page still had in flight would answer with a CSRF cookie of the
        # old session after the login page set its own.
        htmx_settled(page)
        # Leave the page first, so no poll of it asks again between the cookies and the login.
        page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_attached()


def htmx_settled(page: Page) -> None:
    """Wait until no htmx request of the page is in flight (htmx marks the element that sent it
    with `htmx-request` until its answer is swapped in)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (injected through
    the DevTools protocol, so the page's Content Security Policy needs no exception)."""
    page.wait_for_load_state("load")
    htmx_settled(page)
    # Judge colours as they end up, not halfway through an entrance animation.
    page.evaluate(
        """() => Promise.all(document.getAnimations()
            .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
            .map(a => a.finished))"""
    )
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate(f"() => axe.run(document, {json.dumps(AXE_OPTIONS)})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}; "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in violations
    )


def assert_fits_the_screen(page: Page) -> None:
    """Nothing sticks out sideways: the document is no wider than the screen (wide tables and
    charts scroll inside their own card)."""
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide on a {widths[1]} px screen"


def open_menu(page: Page) -> None:
    """At phone width the navigation is folded behind the Menu button: open it."""
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
