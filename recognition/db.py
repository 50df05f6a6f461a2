"""INSERT ... ON CONFLICT DO NOTHING RETURNING: tells the caller which rows it really inserted.

Django's bulk_create(ignore_conflicts=True) does not say which rows were new, and "exactly once"
side effects (a notification per new achievement) need to know it even when two recalculations
race. PostgreSQL and SQLite (3.35+) both support this statement.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def insert_ignoring_conflicts(
    model: type[models.Model], rows: Sequence[dict[str, Any]], returning: Sequence[str]
) -> list[dict[str, Any]]:
    """Insert rows (field name -> value); return `returning` fields of the rows inserted."""
    if not rows:
        return []
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in rows[0]]
    returned = [model._meta.get_field(name) for name in returning]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for row in rows:
        params.extend(
            field.get_db_prep_save(row[field.name], connection=connection) for field in fields
        )
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} "
        f"({', '.join(qn(field.column) for field in fields)}) "
        f"VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT DO NOTHING "
        f"RETURNING {', '.join(qn(field.column) for field in returned)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        results = cursor.fetchall()
    return [
        {
            field.name: field.to_python(value) if not field.is_relation else value
            for field, value in zip(returned, result, strict=True)
        }
        for result in results
    ]
