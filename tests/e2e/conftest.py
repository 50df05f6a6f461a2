"""Real-browser journeys: Playwright driving Debian's Chromium against Django's live server."""

import os
import shutil

import pytest

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
