"""Reactions of the goals app to signals of the apps below it."""

from metrics.signals import customer_data_changed

from .comparison import books_changed
from .tasks import enqueue_for_owners


def _customer_data_changed(sender, owner_ids, kind=None, **kwargs) -> None:
    # Sent after commit: the comparisons kept for these books are stale; schedule (coalesced)
    # recalculation of the goals these books feed.
    books_changed(owner_ids)
    enqueue_for_owners(owner_ids)


def connect_signals() -> None:
    """Called from GoalsConfig.ready()."""
    customer_data_changed.connect(_customer_data_changed, dispatch_uid="goals_recalculate_owners")
