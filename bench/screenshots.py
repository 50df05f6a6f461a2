"""Screenshots for README.md and docs/, taken from the running demo (Playwright, Debian chromium).

    make run                                   # in another terminal: the demo on port 8000
    .venv/bin/python -m bench.screenshots      # or: python -m bench.screenshots http://host:port

Logs in as the Enterprise lead and saves, in docs/screenshots/: the team dashboard, a team goal's
page (chart and contributions) and the accounts behind its value, the objectives tree, a milestone
goal's page, the leaderboard; at phone width (390 px)
the goal chart, the dashboard's first screen with the menu open and the check-in's first screen.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
LEAD = "elena.lead@goalpost.example"
PASSWORD = "demo"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(LEAD)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("table.goal-table")


def shoot(page: Page, name: str) -> None:
    path = OUT / name
    page.screenshot(path=str(path), full_page=True)
    print(f"saved {path.relative_to(ROOT)}")


def first_screen(page: Page, name: str) -> None:
    """What a phone shows before any scrolling."""
    path = OUT / name
    page.screenshot(path=str(path))
    print(f"saved {path.relative_to(ROOT)}")


def main(base: str) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed: apt-get install -y chromium (or make chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
        page = context.new_page()
        log_in(page, base)
        shoot(page, "team-dashboard.png")

        # The first headline metric is a team metric goal: chart, contributions, comparison.
        page.locator(".strip .headline a").first.click()
        page.wait_for_selector("#goal-chart .main-svg")
        page.wait_for_timeout(500)  # let Plotly finish its layout
        shoot(page, "goal-detail.png")
        goal_url = page.url

        # The accounts behind the value, loaded on demand.
        page.locator("#breakdown-open").click()
        page.wait_for_selector("#breakdown-body table")
        breakdown = page.locator("section", has=page.locator("#breakdown-body"))
        path = OUT / "goal-breakdown.png"
        breakdown.screenshot(path=str(path))
        print(f"saved {path.relative_to(ROOT)}")

        page.goto(f"{base}/objectives/")
        page.wait_for_selector("#goal-tree")
        shoot(page, "objectives-tree.png")

        page.goto(f"{base}/leaderboard/")
        page.wait_for_selector("#live")
        shoot(page, "leaderboard.png")

        page.goto(f"{base}/")
        page.locator("table.goal-table tr", has_text="Milestone").first.locator("a").first.click()
        page.wait_for_selector("#goal-chart .main-svg")
        page.wait_for_timeout(500)
        shoot(page, "goal-milestones.png")

        phone = browser.new_context(
            viewport=PHONE, device_scale_factor=2, storage_state=context.storage_state()
        ).new_page()
        phone.goto(f"{base}/")
        phone.wait_for_selector("table.goal-table")
        phone.get_by_role("button", name="Menu").click()
        phone.wait_for_timeout(300)
        first_screen(phone, "team-dashboard-phone.png")
        phone.goto(f"{base}/check-in/")
        phone.wait_for_selector(".checkin-card")
        first_screen(phone, "checkin-phone.png")
        phone.goto(goal_url)
        phone.wait_for_selector("#goal-chart .main-svg")
        phone.wait_for_timeout(500)
        chart = phone.locator("section", has=phone.locator("#goal-chart"))
        path = OUT / "goal-detail-phone.png"
        chart.screenshot(path=str(path))
        print(f"saved {path.relative_to(ROOT)}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
