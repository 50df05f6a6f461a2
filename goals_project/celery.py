"""The Celery app. Tasks run eagerly in-process when no broker is configured (see settings).

When a broker is configured but cannot be reached (Redis down), sending a task runs it
in-process instead, with a warning: the request that sent it (an import, a check-in) still
succeeds and nothing is lost. Every task is idempotent, so a task that also ran on a worker
later does no harm.
"""

import logging
import os

from celery import Celery, Task
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerUnreachable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goals_project.settings")

logger = logging.getLogger("goalpost.tasks")

# How tasks retry, spelled once. Every task is acknowledged after it ran (a worker that dies
# mid-task leaves it to another) and retried with exponential backoff, at most 5 times: a
# database hiccup for the jobs (RETRY_ON_DATABASE_ERROR), any failure for an email (RETRY_ANY:
# an SMTP server down, a header the mail library refuses).
RETRY_ON_DATABASE_ERROR = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
}
RETRY_ANY = {**RETRY_ON_DATABASE_ERROR, "autoretry_for": (Exception,)}


class BrokerFallbackTask(Task):
    def apply_async(self, args=None, kwargs=None, **options):
        try:
            return super().apply_async(args, kwargs, **options)
        except BrokerUnreachable as error:
            logger.warning(
                "broker unreachable (%s): running %s in-process",
                error,
                self.name,
                extra={"task": self.name, "fallback": "inline"},
            )
            # A failure of the task itself is logged, not raised into the sender's request.
            result = self.apply(args, kwargs, throw=False, **options)
            if result.failed():
                logger.error("%s failed in-process: %r", self.name, result.result)
            return result


app = Celery("goalpost", task_cls=BrokerFallbackTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
