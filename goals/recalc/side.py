"""Work on a second database connection while the caller's connection does something else: the
stored series read while the metric engine works (goals.recalc.plan), the other half of a large
write (goals.recalc.store).

A second connection only sees what the caller's connection sees where both read committed data:
PostgreSQL, outside a transaction (`can_overlap`). Anywhere else the work runs on the caller's
connection, when its result is asked for."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper


def can_overlap(caller: BaseDatabaseWrapper | None = None) -> bool:
    """Whether work may go on a connection of its own beside `caller` (this thread's default
    connection if not given): PostgreSQL, outside a transaction. Inside one, the caller's
    uncommitted writes would be invisible to it (and each connection's work is a transaction of
    its own: it would not roll back with the caller's)."""
    caller = caller or connections[DEFAULT_DB_ALIAS]
    return caller.vendor == "postgresql" and not caller.in_atomic_block


class Alongside[T]:
    """`function(*args, **kwargs)`, started at once on a thread with a connection of its own
    when `overlap` and `can_overlap()`, else run on the caller's connection when asked for.

    Calling it waits for the result (or raises the function's error). `wait()` waits without
    raising: the result, or None if the work failed or never started; a caller that is itself
    failing uses it so that nothing is left running after it. The thread's connection is a copy
    of the caller's settings, opened for the work and closed after it."""

    def __init__(self, function: Callable[..., T], *args: Any, overlap: bool, **kwargs: Any):
        self._work = lambda: function(*args, **kwargs)
        self._outcome: dict[str, Any] = {}
        self._thread: threading.Thread | None = None
        caller = connections[DEFAULT_DB_ALIAS]  # this thread's: `connection` is per thread
        if overlap and can_overlap(caller):
            self._thread = threading.Thread(
                target=self._run, args=(caller,), name="recalc-alongside", daemon=True
            )
            self._thread.start()

    @property
    def on_side(self) -> bool:
        """Whether the work runs on a connection of its own."""
        return self._thread is not None

    def _run(self, caller: BaseDatabaseWrapper) -> None:
        # The caller's settings as they are now (a process may point its connection at another
        # database than the settings name), on this thread's own connection.
        side = caller.copy()
        connections[DEFAULT_DB_ALIAS] = side
        try:
            self._outcome["result"] = self._work()
        except BaseException as error:  # handed to the caller
            self._outcome["error"] = error
        finally:
            side.close()

    def __call__(self) -> T:
        if self._thread is None:
            return self._work()
        self._thread.join()
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["result"]

    def wait(self) -> T | None:
        if self._thread is None:
            return None
        self._thread.join()
        return self._outcome.get("result")
