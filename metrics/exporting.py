"""Export of customer data in the import formats, so that an export imports back unchanged."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from django.db.models import F
from django.utils import timezone

from goals_project.people.models import Membership

from .importing import get_kind, neutralise_cell
from .models import ArrRecord, Customer, NpsResponse, Qbr, Renewal


def _timestamp(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat() if moment else ""


def _rows(kind: str) -> Iterator[tuple]:
    customer = F("customer__external_id")
    if kind == "users":
        for email, name, team, role in (
            Membership.objects.order_by("team__name", "user__email")
            .values_list("user__email", "user__name", "team__name", "role")
            .iterator()
        ):
            yield neutralise_cell(email), neutralise_cell(name), neutralise_cell(team), role
    elif kind == "customers":
        for external_id, name, csm_email, segment in (
            Customer.objects.order_by("external_id")
            .values_list("external_id", "name", "csm__email", "segment")
            .iterator()
        ):
            yield tuple(map(neutralise_cell, (external_id, name, csm_email, segment)))
    elif kind == "arr":
        for external_id, day, arr in (
            ArrRecord.objects.order_by(customer.asc(), "effective_date")
            .values_list(customer, "effective_date", "arr")
            .iterator(chunk_size=5000)
        ):
            yield neutralise_cell(external_id), day.isoformat(), f"{arr:.2f}"
    elif kind == "renewals":
        for external_id, day, outcome in (
            Renewal.objects.order_by(customer.asc(), "due_date")
            .values_list(customer, "due_date", "outcome")
            .iterator(chunk_size=5000)
        ):
            yield neutralise_cell(external_id), day.isoformat(), outcome
    elif kind == "nps":
        for external_id, respondent, moment, score, comment in (
            NpsResponse.objects.order_by(customer.asc(), "responded_at", "respondent")
            .values_list(customer, "respondent", "responded_at", "score", "comment")
            .iterator(chunk_size=5000)
        ):
            yield (
                neutralise_cell(external_id),
                neutralise_cell(respondent),
                _timestamp(moment),
                score,
                neutralise_cell(comment),
            )
    elif kind == "qbrs":
        for external_id, day, completed in (
            Qbr.objects.order_by(customer.asc(), "scheduled_date")
            .values_list(customer, "scheduled_date", "completed_at")
            .iterator(chunk_size=5000)
        ):
            yield neutralise_cell(external_id), day.isoformat(), _timestamp(completed)


def export_csv(kind: str, stream: TextIO) -> int:
    """Write every row of `kind` as CSV (header first); returns the number of rows written.

    Text cells that a spreadsheet would run as a formula get a leading quote; the import takes
    it off again, so the file round-trips.
    """
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(get_kind(kind).columns)
    count = 0
    for row in _rows(kind):
        writer.writerow(row)
        count += 1
    return count
