"""Writing a planned recalculation: one compare-and-set statement on PostgreSQL (the
conditional UPDATE of the goals with the INSERT of their history rows and the upsert of their
contribution snapshots as data-modifying CTEs, every column passed as one array literal), three
elsewhere; then the status-change and recalculated signals, once per run, after everything it
wrote is committed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence

from django.db import connection, models, transaction

from ..models import (
    ContributionSnapshot,
    Goal,
    ProgressHistory,
)
from ..signals import goal_status_changed, goals_recalculated
from .arrays import array_literal
from .plan import (
    HISTORY_COLUMNS,
    SNAPSHOT_COLUMNS,
    SNAPSHOT_UNIQUE,
    WRITTEN_FIELDS,
    Write,
)
from .side import Alongside, can_overlap

UPDATE_CHUNK = 2000

# From this many rows (goals, history rows and contribution snapshots) a write outside a
# transaction on PostgreSQL is split in two halves written at once on two connections (two
# cores of the database): most of a large write is the database's, a third of it the deferred
# foreign-key checks of the commit. Opening the second connection costs a few milliseconds,
# about what writing this many rows does.
SPLIT_ROWS = 2000


def commit(writes: list[Write]) -> tuple[list[Write], list[int]]:
    """Write the goals still at the version they were read at; return (written, conflicting).

    The goal rows are updated with a conditional UPDATE (compare-and-set on calc_version); only
    the goals it really updated get their history rows and contribution snapshots. A large write
    outside a transaction on PostgreSQL is split in two halves by goal, each written and
    committed on a connection of its own at the same time (see SPLIT_ROWS); the signals then
    go out once, after both halves are committed. If one half fails (or the wait for the other
    is interrupted), the other half is still waited for and what it committed is announced
    before the error is raised: the run leaves that half written, never a half of a goal.
    """
    if not writes:
        return [], []
    for write in writes:
        for offset, row in enumerate(write.history, start=1):
            row.calc_version = write.read_version + offset
        write.goal.calc_version = write.read_version + max(len(write.history), 1)
    first, second = _halves(writes)
    if not second:
        return _commit_part(writes, announce=True)
    # Neither half announces: listeners hear of the run once, when both halves are committed.
    other = Alongside(_commit_part, second, announce=False, overlap=True)
    mine = theirs = None
    try:
        mine = _commit_part(first, announce=False)
        theirs = other()
    except BaseException:
        # This half failed or was interrupted (a task's soft time limit while it waited, say):
        # wait for the other half all the same, so that nothing of this run is written after
        # it ends, announce what the two committed, then let the error go on.
        if theirs is None:
            theirs = other.wait()
        with contextlib.suppress(Exception):
            _announce([w for part in (mine, theirs) if part for w in part[0]])
        raise
    _announce(mine[0] + theirs[0])
    return mine[0] + theirs[0], mine[1] + theirs[1]


def _rows(write: Write) -> int:
    return 1 + len(write.history) + len(write.contributions)


def _halves(writes: list[Write]) -> tuple[list[Write], list[Write]]:
    """The writes in two halves of about as many rows each, when the write is large and the
    halves may go on two connections at once (PostgreSQL, outside a transaction: each half is
    a transaction of its own, and a goal's rows always go together); else all and none."""
    total = sum(_rows(write) for write in writes)
    if total < SPLIT_ROWS or len(writes) < 2 or not can_overlap():
        return writes, []
    rows = 0
    for index, write in enumerate(writes):
        rows += _rows(write)
        if rows * 2 >= total:
            return writes[: index + 1], writes[index + 1 :]
    return writes, []


def _commit_part(writes: list[Write], *, announce: bool) -> tuple[list[Write], list[int]]:
    """One transaction on this thread's connection: the writes still at the version they were
    read at (see commit); their signals after its commit when `announce` (an unsplit write)."""
    if not writes:
        return [], []
    postgresql = connection.vendor == "postgresql"
    save = _save_postgresql if postgresql else _save_portable
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if postgresql and outermost:
            # Everything written here is derived from customer data and written again by the
            # next run (idempotent; the safety net runs every few minutes), so the commit need
            # not wait for the WAL flush: a server crash in the next instant can lose this run
            # (or one half of it), never corrupt or half-write a goal, and other sessions see it
            # at once either way.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        updated = save([w for w in writes if w.update_state], WRITTEN_FIELDS)
        updated |= save([w for w in writes if not w.update_state], ("calc_version",))
        written = [w for w in writes if w.goal.pk in updated]
        conflicting = [w.goal.pk for w in writes if w.goal.pk not in updated]
        if announce:
            transaction.on_commit(lambda: _announce(written))
    return written, conflicting


def _array_type(model: type[models.Model], name: str) -> str:
    """The PostgreSQL array type of a column (by field name or attname), for unnest()."""
    if name == "read_version":
        return "bigint[]"
    return model._meta.get_field(name).db_type(connection) + "[]"


def _unnest(model: type[models.Model], names: Sequence[str], alias: str) -> str:
    """`unnest(%s::type[], ...) AS alias(names)`: one array parameter per column, whatever the
    number of rows (a VALUES list costs a placeholder, and its adaptation, per value)."""
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{_array_type(model, name)}" for name in names)
    return f"unnest({arrays}) AS {alias}({', '.join(quote(name) for name in names)})"


def _insert_joined(model: type[models.Model], names: Sequence[str], alias: str) -> str:
    """INSERT the unnested rows whose goal the UPDATE in the same statement really updated."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in names)
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {columns} FROM {_unnest(model, names, alias)} "
        f"WHERE {alias}.goal_id IN (SELECT id FROM updated)"
    )


def _save_postgresql(writes: list[Write], fields: Sequence[str]) -> set[int]:
    """One statement for the whole run: the conditional UPDATE of the goals (RETURNING the ids
    it updated) and, restricted to those ids, the INSERT of their history rows and the upsert
    of their contribution snapshots. One round trip; a goal another run changed in between
    keeps its newer state and gets none of this run's rows. Returns the updated ids."""
    if not writes:
        return set()
    quote = connection.ops.quote_name
    table = quote(Goal._meta.db_table)
    columns = [Goal._meta.get_field(name).column for name in fields]
    assignments = ", ".join(f"{quote(column)} = v.{quote(column)}" for column in columns)
    parameters: list[list] = [
        [w.goal.pk for w in writes],
        [w.read_version for w in writes],
        *([getattr(w.goal, name) for w in writes] for name in fields),
    ]
    ctes = [
        f"updated AS (UPDATE {table} SET {assignments} "
        f"FROM {_unnest(Goal, ['id', 'read_version', *columns], 'v')} "
        f"WHERE {table}.id = v.id AND {table}.calc_version = v.read_version "
        f"RETURNING {table}.id)"
    ]
    history = [row for w in writes for row in w.history]
    if history:
        parameters += [[getattr(row, name) for row in history] for name in HISTORY_COLUMNS]
        ctes.append(f"history AS ({_insert_joined(ProgressHistory, HISTORY_COLUMNS, 'h')})")
    snapshots = [row for w in writes for row in w.contributions]
    if snapshots:
        parameters += [list(column) for column in zip(*snapshots, strict=True)]
        refreshed = ", ".join(
            f"{quote(name)} = EXCLUDED.{quote(name)}"
            for name in SNAPSHOT_COLUMNS
            if name not in SNAPSHOT_UNIQUE
        )
        upsert = (
            _insert_joined(ContributionSnapshot, SNAPSHOT_COLUMNS, "s")
            + f" ON CONFLICT ({', '.join(SNAPSHOT_UNIQUE)}) DO UPDATE SET {refreshed}"
        )
        ctes.append(f"snapshots AS ({upsert})")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {', '.join(ctes)} SELECT id FROM updated",
            [array_literal(column) for column in parameters],
        )
        return {pk for (pk,) in cursor.fetchall()}


def _save_portable(writes: list[Write], fields: Sequence[str]) -> set[int]:
    """The same writes in three statements (SQLite and other databases): the conditional
    UPDATE, then the rows of the goals it updated, inside the caller's transaction."""
    updated = _update_goals(writes, fields)
    written = [w for w in writes if w.goal.pk in updated]
    ProgressHistory.objects.bulk_create(
        [
            ProgressHistory(**{name: getattr(row, name) for name in HISTORY_COLUMNS})
            for w in written
            for row in w.history
        ]
    )
    snapshots = [ContributionSnapshot(**row._asdict()) for w in written for row in w.contributions]
    if snapshots:
        ContributionSnapshot.objects.bulk_create(
            snapshots,
            update_conflicts=True,
            unique_fields=["goal", "member", "as_of"],
            update_fields=[
                "individual_goal",
                "points",
                "share",
                "numerator",
                "denominator",
                "member_value",
            ],
        )
    return updated


def _update_goals(writes: list[Write], fields: Iterable[str]) -> set[int]:
    """UPDATE ... SET fields WHERE calc_version = the version read, for all the writes in one
    statement per chunk; returns the ids it updated (RETURNING). A row another run changed in
    between keeps its newer state. (Django's bulk_update would build a CASE per field and row,
    whose compilation alone costs more than the recalculation, and cannot compare-and-set.)"""
    if not writes:
        return set()
    columns = [Goal._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    postgresql = connection.vendor == "postgresql"

    def typed(name: str, db_type: str) -> str:
        # PostgreSQL types VALUES columns from the parameters: an all-NULL column would be text.
        return f"CAST(v.{name} AS {db_type})" if postgresql else f"v.{name}"

    names = ["id", "read_version", *(quote(column.column) for column in columns)]
    assignments = ", ".join(
        f"{quote(column.column)} = {typed(quote(column.column), column.db_type(connection))}"
        for column in columns
    )
    table = quote(Goal._meta.db_table)
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    rows = [
        [
            write.goal.pk,
            write.read_version,
            *(
                column.get_db_prep_save(getattr(write.goal, column.attname), connection)
                for column in columns
            ),
        ]
        for write in writes
    ]
    updated: set[int] = set()
    with connection.cursor() as cursor:
        for chunk_start in range(0, len(rows), UPDATE_CHUNK):
            chunk = rows[chunk_start : chunk_start + UPDATE_CHUNK]
            cursor.execute(
                f"WITH v({', '.join(names)}) AS (VALUES "
                + ", ".join([placeholders] * len(chunk))
                + f") UPDATE {table} SET {assignments} FROM v WHERE {table}.id = "
                f"{typed('id', 'bigint')} AND {table}.calc_version = "
                f"{typed('read_version', 'integer')} RETURNING {table}.id",
                [value for row in chunk for value in row],
            )
            updated.update(pk for (pk,) in cursor.fetchall())
    return updated


def _announce(written: list[Write]) -> None:
    changed = [w for w in written if w.update_state and w.old_status != w.goal.status]
    if changed and goal_status_changed.has_listeners(Goal):
        # Listeners get Goal instances (as they stand after this run's commit).
        instances = Goal.objects.select_related("period").in_bulk([w.goal.pk for w in changed])
        for write in changed:
            if write.goal.pk in instances:
                goal_status_changed.send(
                    sender=Goal,
                    goal=instances[write.goal.pk],
                    old_status=write.old_status,
                    new_status=write.goal.status,
                )
    if written:
        goals_recalculated.send(sender=Goal, goal_ids=[w.goal.pk for w in written])
