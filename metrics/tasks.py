"""Celery tasks of the metrics app (thin wrappers over its services)."""

from __future__ import annotations

from celery import shared_task

from . import import_jobs


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str | None:
    """Import an uploaded CSV file (metrics/import_jobs.py); returns the job's final status."""
    job = import_jobs.import_job_run(job_id)
    return job.status if job else None
