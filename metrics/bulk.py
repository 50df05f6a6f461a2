"""Insert-or-update of many rows by a unique key, in a handful of statements."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.utils import timezone

GENERIC_BATCH = 2_000
_temporary_names = itertools.count(1)


def bulk_upsert(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    """Insert `rows` (dicts of field attnames) or update `update_fields` where the key exists.

    `updated_at` is set on every written row (and `created_at` on new ones) when the model has
    them. On PostgreSQL the rows are copied in (see upsert_changed); elsewhere bulk_create with
    update_conflicts does the same job.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        columns = list(rows[0])
        upsert_changed(
            model,
            columns,
            [tuple(row[name] for name in columns) for row in rows],
            unique_fields=unique_fields,
            update_fields=update_fields,
            group_by=columns[0],
        )
        return
    stamped = _stamped(model)
    model.objects.bulk_create(
        (model(**row) for row in rows),
        batch_size=GENERIC_BATCH,
        update_conflicts=True,
        unique_fields=[model._meta.get_field(name).name for name in unique_fields],
        update_fields=[
            *(model._meta.get_field(name).name for name in update_fields),
            *(["updated_at"] if "updated_at" in stamped else []),
        ],
    )


def upsert_changed(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[tuple],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    group_by: str,
) -> dict[Any, tuple[int, int]]:
    """PostgreSQL: write `rows` (tuples of the `columns`' values, by field attname) with a
    `COPY` into a temporary table and one `INSERT ... SELECT ... ON CONFLICT DO UPDATE` that
    updates only the rows whose `update_fields` differ. Returns, for each value of the column
    `group_by` among the rows written, (rows created, rows updated); rows that were already
    the same are neither.

    This is the shape of the fastest bulk load PostgreSQL offers (COPY, then one upsert into
    the real table): Django's bulk_create builds a model instance and compiles parameters per
    row, which costs seconds per 100,000 rows, and reading the existing rows to compare them
    in Python costs as much as the write.
    """
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in columns]
    table = quote(model._meta.db_table)
    staging = quote(f"goalpost_upsert_{next(_temporary_names)}")
    stamped = _stamped(model)
    names = [quote(field.column) for field in fields]
    updates = [quote(model._meta.get_field(name).column) for name in update_fields]
    keys = [quote(model._meta.get_field(name).column) for name in unique_fields]
    assignments = [f"{column} = EXCLUDED.{column}" for column in updates]
    if "updated_at" in stamped:
        assignments.append('"updated_at" = EXCLUDED."updated_at"')
    # xmax is 0 on a row version this statement inserted, the updating transaction otherwise.
    upsert = (
        f"WITH written AS (INSERT INTO {table} ({', '.join([*names, *map(quote, stamped)])}) "
        f"SELECT {', '.join([*names, *['%s'] * len(stamped)])} FROM {staging} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(assignments)} "
        f"WHERE ({', '.join(f'{table}.{column}' for column in updates)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{column}' for column in updates)}) "
        f"RETURNING {table}.{quote(model._meta.get_field(group_by).column)} AS grouped, "
        "(xmax = 0) AS created) "
        "SELECT grouped, count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) "
        "FROM written GROUP BY grouped"
    )
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {', '.join(names)} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {staging} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(upsert, [now] * len(stamped))
        written = {grouped: (created, updated) for grouped, created, updated in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {staging}")
    return written


def upsert_copied(
    model: type[models.Model],
    copied: str,
    *,
    columns: Sequence[str],
    reference: str,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    owner: str,
    on_copied: Callable[[], None] = lambda: None,
) -> tuple[int, int, set[Any]] | None:
    """PostgreSQL: write rows given as `COPY` text (tab-separated, one row a line) whose
    `columns` are the model's fields by attname, except `reference` (`customer__external_id`):
    a foreign key named by a unique field of the model it points to, resolved by a join.

    The rows are copied into a temporary table, then written with one `INSERT ... SELECT ...
    ON CONFLICT DO UPDATE` that updates only the rows whose `update_fields` differ. Returns
    (rows created, rows updated, the distinct `owner` values of the referenced rows written,
    such as their CSMs), or None, writing nothing, when a reference names no row.
    `on_copied` is called once the rows are in the temporary table (a progress report).
    """
    quote = connection.ops.quote_name
    relation, referenced_name = reference.split("__")
    foreign_key = model._meta.get_field(relation)
    target = foreign_key.related_model
    referenced = quote(target._meta.get_field(referenced_name).column)
    target_table = quote(target._meta.db_table)
    table = quote(model._meta.db_table)
    staging = quote(f"goalpost_upsert_{next(_temporary_names)}")
    stamped = _stamped(model)

    def staged(name: str) -> str:
        if name == reference:
            return f"{relation}_{referenced_name}"
        return model._meta.get_field(name).column

    names = [quote(staged(name)) for name in columns]
    typed = [
        f"r.{referenced} AS {quote(staged(name))}"
        if name == reference
        else f"t.{quote(model._meta.get_field(name).column)}"
        for name in columns
    ]
    key = quote(staged(reference))
    others = [name for name in columns if name != reference]
    written = [quote(foreign_key.column), *(quote(staged(name)) for name in others)]
    updates = [quote(model._meta.get_field(name).column) for name in update_fields]
    keys = [quote(model._meta.get_field(name).column) for name in unique_fields]
    assignments = [f"{column} = EXCLUDED.{column}" for column in updates]
    if "updated_at" in stamped:
        assignments.append('"updated_at" = EXCLUDED."updated_at"')
    # The join is kept (MATERIALIZED) and counted before any row is written: fewer rows than
    # were copied means a reference names no row (at the statement's snapshot), and then
    # nothing is written. It carries each row's owner: when every row was written, the owners
    # are all of them.
    pk = quote(target._meta.pk.column)
    inserted = ["referenced", *(quote(staged(name)) for name in others), *["%s"] * len(stamped)]
    upsert = (
        f"WITH matched AS MATERIALIZED (SELECT r.{pk} AS referenced, "
        f"r.{quote(target._meta.get_field(owner).column)} AS owner, "
        f"{', '.join(f's.{quote(staged(name))}' for name in others)} "
        f"FROM {staging} s JOIN {target_table} r ON r.{referenced} = s.{key}), "
        f"written AS (INSERT INTO {table} ({', '.join([*written, *map(quote, stamped)])}) "
        f"SELECT {', '.join(inserted)} FROM matched WHERE (SELECT count(*) FROM matched) = %s "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(assignments)} "
        f"WHERE ({', '.join(f'{table}.{column}' for column in updates)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{column}' for column in updates)}) "
        f"RETURNING {table}.{quote(foreign_key.column)} AS referenced, (xmax = 0) AS created), "
        "counted AS (SELECT (SELECT count(*) FROM matched) AS matched, "
        "count(*) FILTER (WHERE created) AS created, "
        "count(*) FILTER (WHERE NOT created) AS updated FROM written) "
        "SELECT matched, created, updated, CASE "
        "WHEN created + updated = 0 THEN '{}' "
        "WHEN created + updated = matched THEN ARRAY(SELECT DISTINCT owner FROM matched) "
        "ELSE ARRAY(SELECT DISTINCT owner FROM matched "
        "WHERE referenced IN (SELECT referenced FROM written)) END FROM counted"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {', '.join(typed)} "
                f"FROM {target_table} r CROSS JOIN {table} t WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY {staging} ({', '.join(names)}) FROM STDIN") as copy:
                copy.write(copied.encode())
            rows = cursor.cursor.rowcount
            on_copied()
            cursor.execute(upsert, [*[timezone.now()] * len(stamped), rows])
            matched, created, updated, owners = cursor.fetchone()
            if matched != rows:
                raise _Unmatched
            cursor.execute(f"DROP TABLE {staging}")
    except _Unmatched:
        return None
    return created, updated, {owner for owner in owners if owner is not None}


class _Unmatched(Exception):
    """A reference named no row: the upsert is rolled back."""


def _stamped(model: type[models.Model]) -> list[str]:
    return [name for name in ("created_at", "updated_at") if _has_field(model, name)]


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True
