"""CSV files uploaded in admin, imported by a background task while a page shows the progress.

The upload request checks the file's form (size, lines, encoding, header, CSV syntax, cells per
row: refused at once, on the form) and keeps it as an ImportJob; after commit a task imports it
(the same `import_csv`, all or nothing, with the same row errors) and records the counts or the
errors on the job (metrics.import_jobs, which the task runs). While it runs, its progress (step,
rows done, rows in all) is kept in the cache, which every web process shares in production
(CACHE_URL), for the job's page to poll.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from goals_project.people.models import User

from .import_jobs import progress_key
from .importing import check_csv
from .models import ImportJob
from .tasks import run_import_job


def import_job_progress(job: ImportJob) -> dict | None:
    """The running job's progress ({"step", "done", "total"}), or None before it starts."""
    if job.status != ImportJob.Status.RUNNING:
        return None
    return cache.get(progress_key(job.pk))


def import_job_create(*, kind: str, file_name: str, data: bytes, by: User | None) -> ImportJob:
    """Keep an uploaded file and queue its import (after commit). A file whose form is wrong
    (too large, not UTF-8, a wrong header, bad CSV...) raises ImportRejected at once and is not
    kept; its values are checked by the import."""
    check_csv(kind, data, source=file_name)
    job = ImportJob.objects.create(kind=kind, file_name=file_name, data=data, created_by=by)
    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job
