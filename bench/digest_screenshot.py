"""Screenshot (docs/checkins.md) of a lead's weekly digest, as an email client 600 px wide shows it.

    make run                                                  # once: the demo database
    DATABASE_URL=sqlite:///db.sqlite3 .venv/bin/python -m bench.digest_screenshot

Builds the digest the Enterprise lead gets this Monday from the demo data (nothing is sent),
renders its HTML part in Debian's chromium at 600 px and saves docs/screenshots/digest-lead.png.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots" / "digest-lead.png"
LEAD = "elena.lead@goalpost.example"
WIDTH = 600


def digest_html() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goals_project.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from checkins.digest import digest_email
    from checkins.weeks import current_week_start
    from goals_project.people.models import User

    lead = User.objects.get(email=LEAD)
    return digest_email(lead, current_week_start()).alternatives[0].content


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed: apt-get install -y chromium (or make chromium)")
    html = digest_html()
    from playwright.sync_api import sync_playwright

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": 900}, device_scale_factor=1)
        page.set_content(
            "<!doctype html><html><body style='margin:0;padding:12px 0;background:#fff'>"
            f"{html}</body></html>"
        )
        page.screenshot(path=str(OUT), full_page=True)
        browser.close()
    print(f"saved {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
