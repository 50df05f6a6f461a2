"""PostgreSQL array literals for the recalculation's array parameters (one per column)."""

from __future__ import annotations

from datetime import date


def array_literal(values: list) -> str:
    """A PostgreSQL array literal ('{1,NULL,"a b"}') for a column of ints, Decimals, strings,
    dates or aware datetimes (one kind per column, and None). Formatting the arrays here costs a
    str() per value; letting the driver adapt the lists costs a dumper look-up per value,
    several times more for 15,000."""
    kind = next((type(value) for value in values if value is not None), int)
    if issubclass(kind, str):
        text = ["NULL" if value is None else quoted(value) for value in values]
    elif issubclass(kind, date):  # datetime too: ISO 8601 with its UTC offset, no blank
        # A run's dates are few (today, the period bounds, its own time): format each once.
        formatted = {value: value.isoformat() for value in set(values) if value is not None}
        text = ["NULL" if value is None else formatted[value] for value in values]
    else:  # int, Decimal (PostgreSQL reads its exponent notation too)
        text = ["NULL" if value is None else str(value) for value in values]
    return "{" + ",".join(text) + "}"


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
