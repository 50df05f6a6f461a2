"""Signals the metrics app sends; the goals app listens to recalculate what changed.

customer_data_changed: sent after commit by every write of customer data (import command,
    admin, API). kwargs: owner_ids (set[int]: the CSMs whose books changed, old and new owner when
    a customer moved), kind (str: customers, arr, renewals, nps, qbrs, users).
"""

from django.dispatch import Signal

customer_data_changed = Signal()
