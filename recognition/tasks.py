"""Celery tasks: thin, idempotent wrappers around the recognition services."""

from celery import shared_task

from goals.models import GoalPeriod
from goals_project.celery import RETRY_ON_DATABASE_ERROR

from . import services, summaries


@shared_task(**RETRY_ON_DATABASE_ERROR)
def badges_award_daily() -> int:
    """The daily badge job (beat): every rule over everyone."""
    return len(services.badges_award())


@shared_task(**RETRY_ON_DATABASE_ERROR)
def badges_award_for_users(user_ids: list[int]) -> int:
    """After a recalculation: the rules for the people on the recalculated goals."""
    return len(services.badges_award(user_ids=user_ids))


@shared_task(**RETRY_ON_DATABASE_ERROR)
def period_summaries_build_due() -> int:
    """Daily safety net (beat): summaries of completed periods that are missing or unsent."""
    return len(summaries.period_summaries_due())


@shared_task(**RETRY_ON_DATABASE_ERROR)
def period_summaries_for_period(period_id: int) -> int:
    period = GoalPeriod.objects.filter(pk=period_id).first()
    if period is None:
        return 0
    return len(summaries.period_summaries_complete(period=period))
