"""Writes of customer data that are not imports, and the notification every write sends."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .models import Customer
from .signals import customer_data_changed


def customer_data_changed_on_commit(*, owner_ids: Iterable[int | None], kind: str) -> None:
    """Send customer_data_changed once the current transaction commits (at once without one).

    The goals engine listens and recalculates the goals fed by these CSMs' books; sending after
    commit means it reads the new data, and never data that a rollback took back.
    """
    owners = frozenset(owner for owner in owner_ids if owner is not None)
    transaction.on_commit(
        lambda: customer_data_changed.send(sender=Customer, owner_ids=set(owners), kind=kind)
    )
