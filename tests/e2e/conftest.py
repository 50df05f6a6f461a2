"""Real-browser journeys: Playwright driving Debian's Chromium against Django's live server."""

import os
import shutil
import time

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


@pytest.fixture
def page(page):
    """Playwright's page, which at the end of the test waits until none of its requests is in
    flight before it closes: a live-server request still running while the database is flushed
    for the next test (htmx's `load` triggers fire just after a page appears) can deadlock with
    the flush."""
    in_flight = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    yield page
    deadline = time.monotonic() + 10
    while in_flight and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    page.close()
