"""Import of customer data (and the users who own it): CSV files and JSON lists, all-or-nothing.

Every kind has fixed columns and a natural key (DESIGN.md section 2). An import parses and checks
every row, resolves every reference (customers, CSM emails) in a few set-based queries, and only
then writes, in one transaction, with bulk upserts of the rows that actually change. Any bad row
rejects the whole batch with errors naming the row, the column and the reason; nothing is
written. After commit, `customer_data_changed` tells the goals engine whose books changed.

On PostgreSQL a CSV file (or an API list) of customer records whose every row is good takes a
bulk path (see bulk_import_csv): whole columns checked at once, no Python code per row; any
other file is checked row by row, which names every error.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone

from goals_project.people.models import Membership, User
from goals_project.people.services import membership_set, team_get_or_create, user_upsert
from goals_project.progress_bars import NO_PROGRESS, Progress

from .bulk import bulk_upsert, upsert_changed, upsert_copied
from .models import ArrRecord, Customer, NpsResponse, Qbr, Renewal
from .services import customer_data_changed_on_commit

MAX_REPORTED_ERRORS = 50
# Bounds on one CSV file, so that a hostile or broken upload is refused in bounded time and
# memory: its size, its lines (blank ones included: a million blank lines is not a data file)
# and one cell (the csv module's own limit, 131,072 characters by default).
# Settings METRICS_IMPORT_MAX_BYTES and METRICS_IMPORT_MAX_LINES override the defaults.
IMPORT_MAX_BYTES = 25 * 1024 * 1024
IMPORT_MAX_LINES = 250_000
# Lookups are chunked so that SQLite's limit on query parameters is never reached.
LOOKUP_CHUNK = 900
# Rows between two progress reports.
PROGRESS_EVERY = 5_000
# A cell starting with one of these is a formula to a spreadsheet; exports prefix a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits only: Python would read "١٠٠" (Arabic-Indic) or "1_000" as 100 and 1000, which is
# not what a person typing into a spreadsheet meant.
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
WHOLE_NUMBER = re.compile(r"^[+-]?\d+$", re.ASCII)
ISO_DATETIME = re.compile(r"^[\d:.+\-TZ ]+$", re.ASCII)
# The bulk path's checks of a whole column at once, its cells joined by NUL (which no cell
# holds): a text cell kept as it is has no space around it, no quote before it (see
# restore_cell) and no character that COPY escapes; an amount kept as written is plain digits.
# A column of ids made of printable ASCII but for the space, the quote and the backslash passes
# with one quick match; any other text column is searched for the problems.
PLAIN_CHARACTER = r"[!-&(-\[\]-~]"
PLAIN_TEXT_PROBLEM = re.compile(r"(?:^|\x00)[\s']|\s(?:\x00|$)|[\\\t\n\r]")
EMPTY_CELL = re.compile(r"(?:^|\x00)(?:\x00|$)")
PLAIN_AMOUNT = r"[0-9]{1,12}+(?:\.[0-9]{1,2}+)?+"
PLAIN_AMOUNTS = re.compile(rf"{PLAIN_AMOUNT}(?:\x00{PLAIN_AMOUNT})*+")
PLAIN_AMOUNT_CELL = re.compile(PLAIN_AMOUNT)
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# Dates in the future: an ARR change may be booked ahead (up to a year); an NPS response or a
# completed QBR cannot have happened yet (a day of slack for time zones).
MAX_ARR_DAYS_AHEAD = 366
MAX_EVENT_DAYS_AHEAD = 1


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def format(self, source: str) -> str:
        return f"{source}:{self.row}: {self.column}: {self.reason}"


class ImportRejected(Exception):
    """The batch was refused; `errors` lists every problem found, in row order."""

    def __init__(self, errors: Sequence[RowError], source: str = "request"):
        self.errors = sorted(errors, key=lambda error: error.row)
        self.source = source
        super().__init__(f"{len(self.errors)} error(s) in {source}")

    def messages(self, limit: int = MAX_REPORTED_ERRORS) -> list[str]:
        """`FILE:ROW: column: reason` for the first `limit` errors, then how many more there are."""
        lines = [error.format(self.source) for error in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"... and {len(self.errors) - limit} more errors")
        return lines


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    owner_ids: set[int] = field(default_factory=set)

    def summary(self) -> str:
        return (
            f"{self.kind}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


# --- cell parsers: each returns the value or raises ValueError with the reason -------------------


def restore_cell(text: str) -> str:
    """Undo the quote an export puts before a formula-like cell (as a spreadsheet does)."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


def neutralise_cell(text: str) -> str:
    """Prefix a quote to a text cell a spreadsheet would run as a formula (CSV injection)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def text(max_length: int, *, required: bool = True) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = restore_cell(value)
        if required and not value:
            raise ValueError("required, but empty")
        if len(value) > max_length:
            raise ValueError(f"longer than {max_length} characters")
        return value

    plain = rf"{PLAIN_CHARACTER}{{{int(required)},{max_length}}}+"
    plain_cells = re.compile(rf"{plain}(?:\x00{plain})*+")

    def as_they_are(
        cells: Sequence[str], joined: str
    ) -> tuple[Sequence[str], Sequence[str]] | None:
        """The cells themselves, when each is what `parse` would make of it (see the bulk path)."""
        if plain_cells.fullmatch(joined):
            return cells, cells
        if PLAIN_TEXT_PROBLEM.search(joined) or max(map(len, cells)) > max_length:
            return None
        if required and EMPTY_CELL.search(joined):
            return None
        return cells, cells

    parse.bulk = as_they_are
    return parse


def email(value: str) -> str:
    value = restore_cell(value)
    if not value:
        raise ValueError("required, but empty")
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(f"not an email address: {value!r}") from None
    return value.lower()


def iso_date(value: str) -> date:
    try:
        if ISO_DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"bad date {value!r}: use YYYY-MM-DD")


def _not_later_than(day: date, days_ahead: int, value: str) -> None:
    latest = timezone.localdate() + timedelta(days=days_ahead)
    if day > latest:
        raise ValueError(
            f"{value} is in the future: at most {days_ahead} day(s) ahead ({latest} today)"
        )


def arr_date(value: str) -> date:
    """An ARR effective date: booked ahead by a year at most."""
    day = iso_date(value)
    _not_later_than(day, MAX_ARR_DAYS_AHEAD, value)
    return day


def timestamp(value: str) -> datetime:
    """An ISO date (local midnight) or datetime; without an offset it is local time."""
    try:
        if ISO_DATE.match(value):
            moment = datetime.combine(date.fromisoformat(value), time.min)
        elif ISO_DATETIME.match(value):
            moment = datetime.fromisoformat(value)
        else:
            raise ValueError(value)
    except ValueError:
        raise ValueError(
            f"bad date or datetime {value!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]"
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def past_timestamp(value: str) -> datetime:
    """When something happened (an NPS response, a QBR held): not in the future."""
    moment = timestamp(value)
    _not_later_than(timezone.localdate(moment), MAX_EVENT_DAYS_AHEAD, value)
    return moment


def optional_past_timestamp(value: str) -> datetime | None:
    return past_timestamp(value) if value else None


def money(value: str) -> Decimal:
    """An ARR amount: 0 or more, at most 2 decimals, below 10^12, returned with its 2 decimals
    (what the column stores). The size is checked before any rounding, which would overflow for
    28 digits or more."""
    if not NUMBER.match(value):
        raise ValueError(f"not a number: {value!r}")
    amount = Decimal(value)
    if amount < 0:
        raise ValueError(f"negative ARR {value}: ARR is 0 or more (0 means churned)")
    if amount and amount.adjusted() >= 12:
        raise ValueError(f"{value} is too large: ARR is below 1,000,000,000,000")
    cents = amount.quantize(Decimal("0.01"))
    if amount != cents:
        raise ValueError(f"{value} has more than 2 decimal places")
    return cents  # as the column stores it: 0e999999999999 is 0.00, not a 10^999999999999 form


def plain_amounts(cells: Sequence[str], joined: str) -> tuple[Sequence[str], None]:
    """The amounts as COPY text (see the bulk path): a plain amount (digits, 12 at most, then
    at most 2 decimals) as it is written, any other cell parsed by `money`, which raises
    ValueError for a bad one."""
    if PLAIN_AMOUNTS.fullmatch(joined):
        return cells, None
    texts = {
        cell: _copy_text(money(cell.strip()))
        for cell in set(cells)
        if not PLAIN_AMOUNT_CELL.fullmatch(cell)
    }
    return [texts.get(cell, cell) for cell in cells], None


money.bulk = plain_amounts


def score(value: str) -> int:
    if not WHOLE_NUMBER.match(value):
        raise ValueError(f"not a whole number: {value!r}")
    number = int(value)
    if not 0 <= number <= 10:
        raise ValueError(f"score {number} is outside 0-10")
    return number


def outcome(value: str) -> str:
    if value.lower() not in Renewal.Outcome.values:
        raise ValueError(f"unknown outcome {value!r}: use renewed, churned or pending")
    return value.lower()


def role(value: str) -> str:
    if value.lower() not in Membership.Role.values:
        raise ValueError(f"unknown role {value!r}: use member or lead")
    return value.lower()


# --- kinds ----------------------------------------------------------------------------------------

Row = dict[str, Any]


def chunks(values: Sequence, size: int = LOOKUP_CHUNK) -> Iterator[Sequence]:
    for index in range(0, len(values), size):
        yield values[index : index + size]


def text_lookups(values: Sequence[str]) -> Iterator[Sequence[str] | RawSQL]:
    """What `field__in=` takes to look up these texts: on PostgreSQL one array parameter for
    all of them (one query), elsewhere chunks within SQLite's limit on parameters."""
    if connection.vendor == "postgresql":
        yield RawSQL("SELECT unnest(%s::text[])", [list(values)])
    else:
        yield from chunks(values)


class Kind:
    """One import format: its columns, natural key, references and writes."""

    name: str
    columns: dict[str, Callable[[str], Any]]
    key: tuple[str, ...]
    # Columns a file or a JSON object may leave out: then the rows keep what they hold there.
    optional: tuple[str, ...] = ()

    def resolve(self, rows: list[Row]) -> list[RowError]:
        """Turn references (external ids, emails) into ids; an error per unknown reference."""
        return []

    def write(
        self, rows: list[Row], result: ImportResult, progress: Progress = NO_PROGRESS
    ) -> None:
        raise NotImplementedError


class CustomerRecordKind(Kind):
    """A kind whose rows belong to a customer named by customer_external_id."""

    model: type
    values: tuple[str, ...]  # the columns written besides the key

    def resolve(self, rows: list[Row]) -> list[RowError]:
        rows = [row for row in rows if "customer_external_id" in row]
        external_ids = sorted({row["customer_external_id"] for row in rows})
        found: dict[str, tuple[int, int]] = {}
        for among in text_lookups(external_ids):
            for external_id, pk, csm_id in Customer.objects.filter(
                external_id__in=among
            ).values_list("external_id", "pk", "csm_id"):
                found[external_id] = (pk, csm_id)
        errors = []
        for row in rows:
            if row["customer_external_id"] in found:
                row["customer_id"], row["csm_id"] = found[row["customer_external_id"]]
            else:
                errors.append(
                    RowError(
                        row["_row"],
                        "customer_external_id",
                        f"unknown customer {row['customer_external_id']!r}",
                    )
                )
        return errors

    def db_key(self, row: Row) -> tuple:
        return (row["customer_id"], *(row[column] for column in self.key[1:]))

    def written(self, rows: list[Row]) -> tuple[str, ...]:
        """The value columns these rows carry (an optional column left out is not written)."""
        return tuple(
            column
            for column in self.values
            if column not in self.optional or (rows and column in rows[0])
        )

    def existing(self, customer_ids: Sequence[int], values: Sequence[str]) -> dict[tuple, tuple]:
        key_fields = ["customer_id", *self.key[1:]]
        found = {}
        for chunk in chunks(customer_ids):
            for stored in self.model.objects.filter(customer_id__in=chunk).values_list(
                *key_fields, *values
            ):
                found[stored[: len(key_fields)]] = stored[len(key_fields) :]
        return found

    def write(
        self, rows: list[Row], result: ImportResult, progress: Progress = NO_PROGRESS
    ) -> None:
        if connection.vendor == "postgresql":
            self._write_copied(rows, result, progress)
            return
        values = self.written(rows)
        progress.start("Writing rows", len(rows))
        existing = self.existing(sorted({row["customer_id"] for row in rows}), values)
        changed = []
        for row in rows:
            before = existing.get(self.db_key(row))
            after = tuple(row[column] for column in values)
            if before is None:
                result.created += 1
            elif before != after:
                result.updated += 1
            else:
                result.unchanged += 1
                continue
            changed.append(row)
            result.owner_ids.add(row["csm_id"])
        bulk_upsert(
            self.model,
            [
                {
                    "customer_id": row["customer_id"],
                    **{column: row[column] for column in (*self.key[1:], *values)},
                }
                for row in changed
            ],
            unique_fields=["customer_id", *self.key[1:]],
            update_fields=values,
        )
        progress.update(len(rows))

    def _write_copied(self, rows: list[Row], result: ImportResult, progress: Progress) -> None:
        """PostgreSQL: every row copied in, the database keeps the changed ones and counts."""
        values = self.written(rows)
        columns = ["customer_id", *self.key[1:], *values]

        def copied():
            progress.start("Writing rows", len(rows))
            for done, row in enumerate(rows, start=1):
                yield tuple(row[column] for column in columns)
                if not done % PROGRESS_EVERY:
                    progress.update(done)
            progress.update(len(rows))
            progress.start("Saving the changes", 1)

        written = upsert_changed(
            self.model,
            columns,
            copied(),
            unique_fields=["customer_id", *self.key[1:]],
            update_fields=values,
            group_by="customer_id",
        )
        csm_of = {row["customer_id"]: row["csm_id"] for row in rows}
        for customer_id, (created, updated) in written.items():
            result.created += created
            result.updated += updated
            result.owner_ids.add(csm_of[customer_id])
        result.unchanged = len(rows) - result.created - result.updated
        progress.update(1)


class ArrKind(CustomerRecordKind):
    name = "arr"
    model = ArrRecord
    columns = {"customer_external_id": text(100), "effective_date": arr_date, "arr": money}
    key = ("customer_external_id", "effective_date")
    values = ("arr",)


class RenewalKind(CustomerRecordKind):
    name = "renewals"
    model = Renewal
    columns = {"customer_external_id": text(100), "due_date": iso_date, "outcome": outcome}
    key = ("customer_external_id", "due_date")
    values = ("outcome",)


class NpsKind(CustomerRecordKind):
    name = "nps"
    model = NpsResponse
    columns = {
        "customer_external_id": text(100),
        "respondent": text(200),
        "responded_at": past_timestamp,
        "score": score,
        "comment": text(5000, required=False),
    }
    key = ("customer_external_id", "respondent", "responded_at")
    values = ("score", "comment")
    optional = ("comment",)


class QbrKind(CustomerRecordKind):
    name = "qbrs"
    model = Qbr
    columns = {
        "customer_external_id": text(100),
        "scheduled_date": iso_date,
        "completed_at": optional_past_timestamp,
    }
    key = ("customer_external_id", "scheduled_date")
    values = ("completed_at",)


def users_by_email(emails: Iterable[str]) -> dict[str, User]:
    """Users whose email matches one of `emails` in any case, keyed by the lower-case email."""
    emails = sorted(set(emails))
    found = {}
    for chunk in chunks(emails):
        for user in (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .select_related("membership__team")
        ):
            found[user.email_lower] = user
    return found


class CustomerKind(Kind):
    name = "customers"
    columns = {
        "external_id": text(100),
        "name": text(200),
        "csm_email": email,
        "segment": text(50, required=False),
    }
    key = ("external_id",)

    def resolve(self, rows: list[Row]) -> list[RowError]:
        rows = [row for row in rows if "csm_email" in row]
        users = users_by_email(row["csm_email"] for row in rows)
        errors = []
        for row in rows:
            user = users.get(row["csm_email"])
            if user is None:
                errors.append(
                    RowError(row["_row"], "csm_email", f"unknown csm email {row['csm_email']!r}")
                )
            else:
                row["csm_id"] = user.pk
        return errors

    def write(
        self, rows: list[Row], result: ImportResult, progress: Progress = NO_PROGRESS
    ) -> None:
        progress.start("Writing rows", len(rows))
        existing = {}
        for chunk in chunks([row["external_id"] for row in rows]):
            for external_id, *values in Customer.objects.filter(external_id__in=chunk).values_list(
                "external_id", "name", "csm_id", "segment"
            ):
                existing[external_id] = tuple(values)
        changed = []
        for row in rows:
            before = existing.get(row["external_id"])
            if before is None:
                result.created += 1
            elif before != (row["name"], row["csm_id"], row["segment"]):
                result.updated += 1
                result.owner_ids.add(before[1])  # a moved customer leaves its old CSM's book
            else:
                result.unchanged += 1
                continue
            changed.append(row)
            result.owner_ids.add(row["csm_id"])
        bulk_upsert(
            Customer,
            [
                {column: row[column] for column in ("external_id", "name", "csm_id", "segment")}
                for row in changed
            ],
            unique_fields=["external_id"],
            update_fields=["name", "csm_id", "segment"],
        )
        progress.update(len(rows))


class UserKind(Kind):
    """Users and their team and role; written through the people services (few rows)."""

    name = "users"
    columns = {"email": email, "name": text(150, required=False), "team": text(100), "role": role}
    key = ("email",)

    def write(
        self, rows: list[Row], result: ImportResult, progress: Progress = NO_PROGRESS
    ) -> None:
        progress.start("Writing rows", len(rows))
        users = users_by_email(row["email"] for row in rows)
        teams = {}
        for row in rows:
            user = users.get(row["email"])
            membership = getattr(user, "membership", None) if user else None
            same_team = membership is not None and (
                membership.team.name.lower() == row["team"].lower()
                and membership.role == row["role"]
            )
            if user is not None and same_team and (not row["name"] or row["name"] == user.name):
                result.unchanged += 1
                continue
            if user is None:
                result.created += 1
            else:
                result.updated += 1
            user = user_upsert(email=row["email"], name=row["name"])
            if not same_team:
                team_key = row["team"].lower()
                if team_key not in teams:
                    teams[team_key] = team_get_or_create(name=row["team"])
                membership_set(user=user, team=teams[team_key], role=row["role"])
                result.owner_ids.add(user.pk)
        progress.update(len(rows))


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (UserKind(), CustomerKind(), ArrKind(), RenewalKind(), NpsKind(), QbrKind())
}


def get_kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"Unknown kind {name!r}: use one of {', '.join(KINDS)}.") from None


# --- reading the input ----------------------------------------------------------------------------


def parse_records(
    kind: Kind,
    records: Sequence[tuple[int, Sequence[str]]],
    header: Sequence[str],
    progress: Progress = NO_PROGRESS,
) -> tuple[list[Row], list[RowError]]:
    """Check every cell and every natural key: the good rows, and an error per bad cell.
    Records are (row number, cells in the order of `header`, which holds the kind's columns)."""
    rows: list[Row] = []
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    # Each column's distinct values are parsed once: a file repeats its dates and ids.
    parsers = [
        (column, header.index(column), _once_per_value(parse))
        for column, parse in kind.columns.items()
        if column in header
    ]
    progress.start("Checking rows", len(records))
    for done, (number, cells) in enumerate(records, start=1):
        if not done % PROGRESS_EVERY:
            progress.update(done)
        row: Row = {"_row": number}
        row_ok = True
        for column, position, parse in parsers:
            try:
                row[column] = parse((cells[position] or "").strip())
            except ValueError as error:
                errors.append(RowError(number, column, str(error)))
                row_ok = False
        rows.append(row)  # even a bad row has its references checked
        if not row_ok:
            continue
        key = tuple(row[column] for column in kind.key)
        if key in seen:
            errors.append(
                RowError(
                    number,
                    kind.key[-1],
                    f"the same {' + '.join(kind.key)} as row {seen[key]}",
                )
            )
            continue
        seen[key] = number
    progress.update(len(records))
    return rows, errors


def _once_per_value(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse` behind the checks every cell gets (no NUL, no lone surrogate), remembering its
    answer (the value, or the reason it is refused) for each distinct cell text."""
    answers: dict[str, tuple[bool, Any]] = {}

    def parse_once(raw: str) -> Any:
        answer = answers.get(raw)
        if answer is None:
            try:
                if "\x00" in raw:  # PostgreSQL text cannot hold it; refuse it as a bad cell
                    raise ValueError("contains a NUL character")
                if not _is_text(raw):
                    raise ValueError("contains a lone surrogate (\\ud800-\\udfff): not text")
                answer = (True, parse(raw))
            except ValueError as error:
                answer = (False, str(error))
            answers[raw] = answer
        if answer[0]:
            return answer[1]
        raise ValueError(answer[1])

    return parse_once


def _is_text(value: str) -> bool:
    """False for a string holding a lone surrogate, which no database column can store."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _open_csv(kind: Kind, data: bytes) -> tuple[Iterator[list[str]], list[str], int]:
    """Check the file as a whole (size, lines, encoding, header) and open it: the CSV reader
    positioned after the header, the header, and the number of lines. Raises ImportRejected
    with the file's error."""
    limits = file_limit_errors(data)
    if limits:
        raise ImportRejected(limits)
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ImportRejected(
                [RowError(1, "(file)", "UTF-16 text: save the file as UTF-8 (CSV UTF-8)")]
            ) from None
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportRejected(
            [RowError(line, "(file)", f"not UTF-8 text (byte 0x{data[error.start]:02x})")]
        ) from None
    expected = ",".join(kind.columns)
    if not content.strip():
        raise ImportRejected(
            [RowError(1, "(file)", f"the file is empty: a header row is required: {expected}")]
        )
    if "\x00" in content:
        line = content.count("\n", 0, content.index("\x00")) + 1
        raise ImportRejected([RowError(line, "(file)", "a NUL byte: this is not a text file")])
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as error:
        raise ImportRejected([_csv_error(error, reader.line_num)]) from None
    errors = header_errors(kind, header)
    if errors:
        raise ImportRejected(errors)
    return reader, header, content.count("\n") + (not content.endswith("\n"))


def _csv_error(error: csv.Error, line: int) -> RowError:
    reason = (
        f"a cell longer than {csv.field_size_limit():,} characters"
        if "field larger than field limit" in str(error)
        else f"bad CSV: {error}"
    )
    return RowError(line, "(file)", reason)


def check_csv(kind_name: str, data: bytes, *, source: str) -> None:
    """Check a CSV file's form (size, lines, encoding, header, CSV syntax, cells per row)
    before its values are: raises ImportRejected with the errors, reported as
    `source:ROW: column: reason`."""
    kind = get_kind(kind_name)
    try:
        if _split_csv(kind, data)[1] is None:
            read_csv(kind, data)
    except ImportRejected as rejected:
        rejected.source = source
        raise


def read_csv(
    kind: Kind, data: bytes, progress: Progress = NO_PROGRESS
) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """Decode and split a CSV file (UTF-8, RFC 4180, header row); check its header. Returns
    the records (line number, cells) and the header."""
    reader, header, lines = _open_csv(kind, data)
    records: list[tuple[int, list[str]]] = []
    errors: list[RowError] = []
    progress.start("Reading rows", lines)
    try:
        for cells in reader:
            if not "".join(cells).strip():
                continue  # blank lines are not rows
            if len(cells) != len(header):
                errors.append(
                    RowError(
                        reader.line_num,
                        "(row)",
                        f"{len(cells)} cells, but the header has {len(header)} columns",
                    )
                )
                continue
            records.append((reader.line_num, cells))
            if not len(records) % PROGRESS_EVERY:
                progress.update(reader.line_num)
    except csv.Error as error:
        errors.append(_csv_error(error, reader.line_num))
    if errors:
        raise ImportRejected(errors)
    progress.update(lines)
    return records, header


def import_max_bytes() -> int:
    return getattr(settings, "METRICS_IMPORT_MAX_BYTES", IMPORT_MAX_BYTES)


def file_limit_errors(data: bytes) -> list[RowError]:
    """The file-wide bounds (size, then lines), checked before anything is decoded."""
    max_bytes = import_max_bytes()
    max_lines = getattr(settings, "METRICS_IMPORT_MAX_LINES", IMPORT_MAX_LINES)
    if len(data) > max_bytes:
        return [
            RowError(
                1,
                "(file)",
                f"the file is larger than {max_bytes / 1048576:.0f} MB, the most one import "
                "takes (split it)",
            )
        ]
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if lines > max_lines:
        return [
            RowError(
                1,
                "(file)",
                f"{lines:,} lines: at most {max_lines:,} lines per file (split it)",
            )
        ]
    return []


def header_errors(kind: Kind, header: Sequence[str], row: int = 1) -> list[RowError]:
    errors = [
        RowError(row, column, "missing column")
        for column in kind.columns
        if column not in header and column not in kind.optional
    ]
    seen = set()
    for column in header:
        if column in seen:
            errors.append(RowError(row, column, "the same column twice"))
        elif column not in kind.columns:
            errors.append(
                RowError(
                    row,
                    column or "(empty)",
                    f"unknown column: the columns are {', '.join(kind.columns)}",
                )
            )
        seen.add(column)
    return errors


def json_records(kind: Kind, items: Any) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """A JSON list of objects with the kind's fields, as CSV-like records numbered from 1.

    Returns the well-formed records and an error per malformed one (missing or unknown field,
    a value that is not a string, number or null); malformed objects are checked no further.
    """
    if not isinstance(items, list):
        return [], [RowError(0, "(body)", "send a JSON list of objects")]
    records, errors = [], []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(RowError(number, "(row)", "not a JSON object"))
            continue
        problems = [
            RowError(number, column, "missing field")
            for column in kind.columns
            if column not in item and column not in kind.optional
        ]
        problems += [
            RowError(
                number, str(column), f"unknown field: the fields are {', '.join(kind.columns)}"
            )
            for column in item
            if column not in kind.columns
        ]
        record = {}
        for column, value in item.items():
            if value is None:
                record[column] = ""
            elif isinstance(value, str):
                record[column] = value
            elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                # A JSON number as the digits it was sent with (the API parses them exactly).
                record[column] = str(value)
            else:
                problems.append(RowError(number, str(column), "must be a string, a number or null"))
        errors += problems
        if not problems:
            records.append((number, record))
    return records, errors


# --- the bulk path: customer records from a CSV file or an API list, on PostgreSQL -------------
#
# A file whose every row is good is imported without a Python loop over its rows: the csv module
# splits it, each column is checked as a whole (a text or an amount column with one search over
# its joined cells, a column of dates or other values by parsing each distinct cell once), the
# checked cells are copied into a temporary table and one INSERT ... ON CONFLICT joins them to
# their customers. The bulk path only vouches for files it can prove good; for any other (a bad
# cell, a repeated key, an unknown customer, a ragged row) it writes nothing and the row-by-row
# path imports the file, with its row errors.


def bulk_import_csv(
    kind: Kind, data: bytes, progress: Progress = NO_PROGRESS
) -> ImportResult | None:
    """Import a CSV file whose every row is good in bulk (PostgreSQL, customer records); None,
    having written nothing, when the file needs the row-by-row path. Raises ImportRejected for a
    file refused as a whole (size, encoding, header), as read_csv does."""
    if connection.vendor != "postgresql" or not isinstance(kind, CustomerRecordKind):
        return None
    header, records = _split_csv(kind, data, progress)
    return _bulk_import_rows(kind, header, records, progress) if records else None


def bulk_import_json(
    kind: Kind, records: Sequence[tuple[int, Mapping[str, str]]]
) -> ImportResult | None:
    """Import the well-formed records of a JSON list (json_records) in bulk, as
    bulk_import_csv does a file; None, having written nothing, when they need the row-by-row
    path."""
    if connection.vendor != "postgresql" or not isinstance(kind, CustomerRecordKind) or not records:
        return None
    given = {column for _, record in records for column in record}
    header = [column for column in kind.columns if column not in kind.optional or column in given]
    rows = [[record.get(column) or "" for column in header] for _, record in records]
    return _bulk_import_rows(kind, header, rows)


def _bulk_import_rows(
    kind: Kind, header: Sequence[str], records: list[list[str]], progress: Progress = NO_PROGRESS
) -> ImportResult | None:
    """The bulk path's checks and write, for rows of cells in the order of `header`."""
    progress.start("Checking rows", len(records))
    cells_of = {column: list(map(itemgetter(at), records)) for at, column in enumerate(header)}
    checked = {}
    for column, parse in kind.columns.items():
        if column in cells_of:
            found = _bulk_column(parse, cells_of[column])
            if found is None:
                return None
            checked[column] = found
    keys = [checked[column][1] for column in kind.key]
    if any(values is None for values in keys):
        return None
    keys = [values for values in keys if len(set(values)) > 1]  # one value tells no row apart
    distinct = len(set(keys[0] if len(keys) == 1 else zip(*keys, strict=True))) if keys else 1
    if distinct != len(records):
        return None
    progress.update(len(records))
    columns = list(checked)
    copied = "\n".join(map("\t".join, zip(*(checked[c][0] for c in columns), strict=True)))
    copied += "\n"
    progress.start("Writing rows", len(records))

    def saving():
        progress.update(len(records))
        progress.start("Saving the changes", 1)

    result = ImportResult(kind=kind.name)
    with transaction.atomic():
        written = upsert_copied(
            kind.model,
            copied,
            columns=[
                "customer__external_id" if column == "customer_external_id" else column
                for column in columns
            ],
            reference="customer__external_id",
            unique_fields=["customer_id", *kind.key[1:]],
            update_fields=[column for column in kind.values if column in checked],
            owner="csm_id",
            on_copied=saving,
        )
        if written is None:
            return None  # an unknown customer
        result.created, result.updated, result.owner_ids = written
        result.unchanged = len(records) - result.created - result.updated
        customer_data_changed_on_commit(owner_ids=result.owner_ids, kind=kind.name)
    progress.update(1)
    return result


def _split_csv(
    kind: Kind, data: bytes, progress: Progress = NO_PROGRESS
) -> tuple[list[str], list[list[str]] | None]:
    """Open the file (raises ImportRejected for a file refused as a whole) and split it at
    once: its header, and its rows if every one has the header's number of cells (blank lines
    left out), else None (read_csv names the problems)."""
    reader, header, lines = _open_csv(kind, data)
    progress.start("Reading rows", lines)
    try:
        records = list(reader)
    except csv.Error:
        return header, None
    width = len(header)
    if records and min(map(len, records)) != width:
        records = [cells for cells in records if cells]  # blank lines are not rows
    if records and not min(map(len, records)) == max(map(len, records)) == width:
        return header, None
    progress.update(lines)
    return header, records


def _bulk_column(
    parse: Callable[[str], Any], cells: Sequence[str]
) -> tuple[Sequence[str], Sequence[Any] | None] | None:
    """A column's cells as COPY text, and for the key check values equal where the values
    `parse` makes of them are equal (None when not known), or None if a cell is bad. A parser's
    `bulk` checks the whole column at once: it returns the same, None when it cannot tell (then
    each distinct cell is parsed), or raises ValueError for a bad cell."""
    joined = "\x00".join(cells)
    if joined.count("\x00") != len(cells) - 1 or not _is_text(joined):
        return None  # a NUL or a lone surrogate (from JSON): the row-by-row path names them
    as_written = getattr(parse, "bulk", None)
    try:
        found = as_written(cells, joined) if as_written else None
    except ValueError:
        return None
    if found is not None:
        return found
    parse_once = _once_per_value(parse)
    texts, values = {}, {}
    for cell in set(cells):
        try:
            value = parse_once(cell.strip())
        except ValueError:
            return None
        texts[cell], values[cell] = _copy_text(value), value
    copied = list(map(texts.__getitem__, cells))
    if len(set(values.values())) == len(values):
        return copied, cells  # a value per distinct cell: the cells tell the same rows apart
    return copied, list(map(values.__getitem__, cells))


def _copy_text(value: Any) -> str:
    """A parsed value as COPY's text format writes it."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).translate(COPY_ESCAPES)


# --- the service ----------------------------------------------------------------------------------


def import_records(
    kind_name: str,
    records: Iterable[tuple[int, Mapping[str, str]]] | Iterable[tuple[int, Sequence[str]]],
    *,
    header: Sequence[str] | None = None,
    source: str = "request",
    errors: Sequence[RowError] = (),
    progress: Progress = NO_PROGRESS,
) -> ImportResult:
    """Upsert the records by natural key, all or nothing; raise ImportRejected on any bad row.

    Records are (row number, {column: text}), or (row number, cells) in the order of `header`.
    After commit, sends customer_data_changed with the CSMs whose books changed. `progress`
    hears of the rows checked and written (goals_project/progress_bars.py).
    """
    kind = get_kind(kind_name)
    if header is None:
        records = list(records)
        given = {column for _, record in records for column in record}
        header = [
            column for column in kind.columns if column not in kind.optional or column in given
        ]
        records = [
            (number, [record.get(column) for column in header]) for number, record in records
        ]
    try:
        rows, parse_errors = parse_records(kind, list(records), header, progress)
        errors = [*errors, *parse_errors, *kind.resolve(rows)]
        if errors:
            raise ImportRejected(errors)
        result = ImportResult(kind=kind.name)
        with transaction.atomic():
            kind.write(rows, result, progress)
            customer_data_changed_on_commit(owner_ids=result.owner_ids, kind=kind.name)
    except ImportRejected as rejected:
        rejected.source = source
        raise
    return result


def import_csv(
    kind_name: str, data: bytes, *, source: str, progress: Progress = NO_PROGRESS
) -> ImportResult:
    """Import one CSV file's bytes; errors are reported as `source:ROW: column: reason`."""
    kind = get_kind(kind_name)
    try:
        result = bulk_import_csv(kind, data, progress)
        if result is not None:
            return result
        records, header = read_csv(kind, data, progress)
    except ImportRejected as rejected:
        rejected.source = source
        raise
    return import_records(kind_name, records, header=header, source=source, progress=progress)


def import_json(kind_name: str, items: Any) -> ImportResult:
    """Import a JSON list of objects (the REST API); rows are numbered from 1."""
    kind = get_kind(kind_name)
    records, errors = json_records(kind, items)
    result = None if errors else bulk_import_json(kind, records)
    if result is not None:
        return result
    return import_records(kind_name, records, errors=errors)
