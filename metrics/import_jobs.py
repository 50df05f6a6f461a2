"""Running an uploaded file's import: what the background task does (metrics.tasks).

The job is claimed by a conditional update, imported with the same `import_csv` (all or nothing,
the same row errors), and its counts or errors recorded on it; meanwhile its progress is kept in
the cache (shared by every web process in production, CACHE_URL) for the job's page to poll.
The upload side (checking a file, keeping it, queueing the task) is metrics.uploads.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from goals_project.progress_bars import Progress

from .importing import ImportRejected, import_csv
from .models import ImportJob

logger = logging.getLogger(__name__)

# Seconds between two progress writes to the cache, and how long a progress entry lives.
PROGRESS_INTERVAL = 0.25
PROGRESS_TIMEOUT = 3600


def progress_key(job_id: int) -> str:
    return f"metrics:import-job:{job_id}"


class JobProgress(Progress):
    """Keeps the import's progress in the cache for the job's page."""

    def __init__(self, job_id: int):
        self.key = progress_key(job_id)
        self.step, self.total, self.done = "", 0, 0
        self.written = 0.0

    def start(self, step: str, total: int) -> None:
        self.step, self.total, self.done = step, total, 0
        self._write()

    def update(self, done: int, note: str = "") -> None:
        self.done = done
        if time.monotonic() - self.written >= PROGRESS_INTERVAL:
            self._write()

    def _write(self) -> None:
        cache.set(
            self.key,
            {"step": self.step, "done": self.done, "total": self.total},
            PROGRESS_TIMEOUT,
        )
        self.written = time.monotonic()


def import_job_run(job_id: int) -> ImportJob | None:
    """Import a queued job's file and record the outcome on the job: its counts, or its row
    errors. Claimed by a conditional update, so a job is imported once; a job whose worker died
    (still running after the task time limit) is taken again. Returns the finished job, or None
    when another run has it or had it."""
    now = timezone.now()
    lease = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ImportJob.Status.QUEUED)
            | Q(status=ImportJob.Status.RUNNING, started_at__lt=now - lease)
        )
        .update(status=ImportJob.Status.RUNNING, started_at=now)
    )
    if not claimed:
        return None
    job = ImportJob.objects.get(pk=job_id)
    outcome: dict = {}
    try:
        result = import_csv(
            job.kind, bytes(job.data), source=job.file_name, progress=JobProgress(job.pk)
        )
    except ImportRejected as rejected:
        outcome = {
            "status": ImportJob.Status.REFUSED,
            "error_count": len(rejected.errors),
            "messages": rejected.messages(),
        }
    except Exception as error:
        logger.exception("import job %s failed", job_id)
        outcome = {
            "status": ImportJob.Status.FAILED,
            "messages": [
                f"The import stopped ({type(error).__name__}) and wrote nothing: upload the "
                "file again."
            ],
        }
    else:
        outcome = {
            "status": ImportJob.Status.DONE,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
    ImportJob.objects.filter(pk=job_id).update(**outcome, finished_at=timezone.now(), data=b"")
    cache.delete(progress_key(job_id))
    job.refresh_from_db()
    return job
