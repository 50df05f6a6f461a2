"""Small builders of customer data for the metrics tests."""

from datetime import date, datetime
from decimal import Decimal
from itertools import count

from django.utils import timezone

from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal

_ids = count(1)


def customer(csm, arr: dict[date, int | str] | None = None, **fields) -> Customer:
    """A customer of `csm` with an ARR history {effective_date: arr}."""
    number = next(_ids)
    fields.setdefault("external_id", f"C-{number:05d}")
    fields.setdefault("name", f"Customer {number}")
    record = Customer.objects.create(csm=csm, **fields)
    ArrRecord.objects.bulk_create(
        ArrRecord(customer=record, effective_date=day, arr=Decimal(value))
        for day, value in (arr or {}).items()
    )
    return record


def renewals(csm, outcomes: list[str], due: date) -> list[Customer]:
    """One customer of `csm` per outcome, each with a renewal due on `due` with that outcome."""
    clients = [customer(csm) for _ in outcomes]
    Renewal.objects.bulk_create(
        Renewal(customer=client, due_date=due, outcome=outcome)
        for client, outcome in zip(clients, outcomes, strict=True)
    )
    return clients


def local(*args) -> datetime:
    """An aware datetime in settings.TIME_ZONE."""
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


def nps(client: Customer, *scores: int, at: datetime) -> None:
    NpsResponse.objects.bulk_create(
        NpsResponse(
            customer=client, respondent=f"person{i}@client.example", responded_at=at, score=score
        )
        for i, score in enumerate(scores)
    )


def qbr(client: Customer, scheduled: date, completed: datetime | None = None) -> Qbr:
    return Qbr.objects.create(customer=client, scheduled_date=scheduled, completed_at=completed)
