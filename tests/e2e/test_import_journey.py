"""An admin uploads a CSV of ARR with a real Celery worker (as in production): the upload answers
at once, the import's page shows it waiting, then a live progress bar (htmx polling) while the
worker imports, then the counts; a file with bad rows ends with its row errors and writes
nothing."""

import uuid

import psycopg
import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from checkins.weeks import local_today
from metrics.models import ArrRecord, ImportJob
from tests.builders import UserFactory
from tests.celery_worker import (
    WORKER_REDIS_URL as REDIS_URL,
)
from tests.celery_worker import (
    database_url,
    start_worker,
    stop_worker,
    tasks_sent_to,
)

from .support import assert_accessible, log_in

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs PostgreSQL"),
]


@pytest.fixture
def shared_cache(settings):
    """The cache of this process (the live server) and of the worker: one Redis, one prefix of
    this run's own, as production shares one cache between web and worker processes."""
    prefix = f"import-journey-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    return f"{REDIS_URL}?key_prefix={prefix}"


@pytest.fixture
def queue(tmp_path, shared_cache):
    """Tasks sent to a queue of this test's own; `start()` starts a worker on it (once)."""
    name = f"import-test-{uuid.uuid4().hex[:8]}"
    workers = []

    def start():
        workers.append(
            start_worker(
                queue=name,
                log=tmp_path / "worker.log",
                broker_url=REDIS_URL,
                env={
                    "DATABASE_URL": database_url(connection.settings_dict),
                    "CACHE_URL": shared_cache,
                },
            )
        )

    with tasks_sent_to(name, REDIS_URL):
        yield start
    for process in workers:
        stop_worker(process)


def test_an_upload_is_imported_in_the_background_with_its_progress(
    page: Page, live_server, cs_team, queue, tmp_path
):
    UserFactory(email="root@example.com", name="Ada Admin", is_staff=True, is_superuser=True)
    mo = cs_team.members[0]
    customers = list(mo.customers.order_by("pk").values_list("external_id", flat=True))
    upload = tmp_path / "arr.csv"
    upload.write_text(
        "customer_external_id,effective_date,arr\n"
        + "".join(f"{external_id},{local_today()},250000\n" for external_id in customers)
    )
    log_in(page, live_server.url, "root@example.com")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="ARR records", exact=True).click()
    page.get_by_role("link", name="Import arr CSV").click()
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Import arr").click()

    # No worker yet: the upload has answered, and the page says the file waits for one.
    status = page.locator("#import-status")
    expect(status).to_contain_text("Waiting for a worker to start the import")
    expect(page.locator("#import-progress")).to_be_visible()
    assert_accessible(page)

    # The worker starts while the ARR table is held by another session, so the import stops
    # at its write: the page, polling, shows the step and the bar as they are.
    held = psycopg.connect(
        database_url(connection.settings_dict).replace("postgres://", "postgresql://")
    )
    held.execute(f"LOCK TABLE {ArrRecord._meta.db_table} IN EXCLUSIVE MODE")
    try:
        queue()
        expect(status).to_contain_text("Saving the changes", timeout=30_000)
        expect(page.locator("#import-progress")).to_be_visible()
        assert ArrRecord.objects.filter(effective_date=local_today()).count() == 0
    finally:
        held.rollback()
        held.close()

    outcome = page.locator("#import-outcome")
    expect(outcome).to_contain_text(
        f"Imported arr.csv: {len(customers)} created, 0 updated, 0 unchanged", timeout=30_000
    )
    expect(page.locator("#import-progress")).to_have_count(0)
    expect(page.locator("#import-job")).not_to_have_attribute("hx-trigger", "every 1s")
    assert_accessible(page)
    assert ArrRecord.objects.filter(effective_date=local_today()).count() == len(customers)

    # A file with bad rows: the worker refuses it whole, and the page lists why.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer_external_id,effective_date,arr\n"
        f"{customers[0]},{local_today()},-5\nNOBODY,{local_today()},10\n"
    )
    page.get_by_role("link", name="Import another arr file").click()
    page.get_by_label("File").set_input_files(str(bad))
    page.get_by_role("button", name="Import arr").click()
    expect(outcome).to_contain_text("Nothing was imported: 2 errors.", timeout=30_000)
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("bad.csv:2: arr: negative ARR -5")
    expect(errors).to_contain_text("bad.csv:3: customer_external_id: unknown customer 'NOBODY'")
    assert_accessible(page)
    assert ImportJob.objects.filter(status="refused").count() == 1
    assert (
        ArrRecord.objects.get(customer__external_id=customers[0], effective_date=local_today()).arr
        == 250_000
    )
