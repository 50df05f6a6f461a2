"""A large, deterministic CS organisation for benchmarks: 10,000 customers by default.

Usage from a benchmark script (run from the project root):

    from bench.orgdata import setup_django, build_org
    setup_django()  # DATABASE_URL, default postgres://postgres@127.0.0.1:5432/goalpost_bench
    org = build_org()  # 200 CSMs, 20 teams, ~63k ARR rows, 40k NPS, 80k QBRs, ~14k renewals
    org.teams, org.users, org.quarter   # what was built, and the quarter the data centres on

The org replaces any previous bench org in that database (customer data is emptied) and is the
same on every run with the same arguments. Rows go in with bulk inserts, so building it takes
seconds, not minutes (10,000 customers: about 20 s; 100,000: a few minutes). With `reuse=True`
an org the database already holds with the same arguments is kept as it is (PostgreSQL: the
arguments are written in a comment on the customer table once the org is built).
"""

from __future__ import annotations

import os
import random
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/goalpost_bench"
BENCH_DOMAIN = "bench.example"
BATCH = 5000
# Two years of customer data: the forecast backtest (bench/bench_forecast.py) replays every
# quarter of it, so NPS responses and QBRs span both years like the ARR history does.
HISTORY_DAYS = 730
NPS_PER_CUSTOMER = 4


def setup_django(*, migrate: bool = True) -> None:
    """Point Django at DATABASE_URL (creating a missing PostgreSQL database) and migrate it."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goals_project.settings")
    # Benchmarks run with DEBUG off, which needs a key (the processes they start inherit it).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    import environ

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    if config["ENGINE"].endswith("postgresql"):
        _create_database(config)
    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def _create_database(config: dict) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


@dataclass
class Org:
    teams: list  # people.Team, ordered by name
    users: list  # people.User: every CSM (leads included), ordered by email
    quarter: tuple[date, date]  # the latest complete quarter before `today`
    today: date
    counts: dict[str, int]


def quarter_before(today: date) -> tuple[date, date]:
    """The last calendar quarter that ended before `today`."""
    first_month = (today.month - 1) // 3 * 3 + 1
    this_quarter = date(today.year, first_month, 1)
    end = this_quarter - timedelta(days=1)
    return date(end.year, (end.month - 1) // 3 * 3 + 1, 1), end


def _reset() -> None:
    from django.db import connection

    from goals_project.people.models import Team, User
    from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal

    tables = [model._meta.db_table for model in (ArrRecord, Renewal, NpsResponse, Qbr, Customer)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
    else:
        for model in (ArrRecord, Renewal, NpsResponse, Qbr, Customer):
            model.objects.all().delete()
    _delete_with_dependents(Team.objects.filter(name__startswith="Bench "))
    _delete_with_dependents(User.objects.filter(email__endswith="@" + BENCH_DOMAIN))


def _delete_with_dependents(queryset) -> None:
    """Delete, first removing whatever other benchmarks left that protects these rows (goals of
    the bench teams, for example): the bench database holds nothing else worth keeping."""
    from django.db.models import ProtectedError

    for _ in range(10):
        try:
            queryset.delete()
            return
        except ProtectedError as error:
            for protecting in {type(obj) for obj in error.protected_objects}:
                pks = [obj.pk for obj in error.protected_objects if type(obj) is protecting]
                _delete_with_dependents(protecting._default_manager.filter(pk__in=pks))
    queryset.delete()


def _analyze(models: list) -> None:
    """Vacuum and analyse after the bulk load, as autovacuum would soon do on a live database:
    fresh statistics and visibility maps, so timings show the steady state."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _signature(**arguments) -> str:
    return "bench org " + " ".join(f"{name}={value}" for name, value in sorted(arguments.items()))


def _kept_signature() -> str | None:
    from django.db import connection

    from metrics.models import Customer

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT obj_description(%s::regclass, 'pg_class')", [Customer._meta.db_table]
        )
        return cursor.fetchone()[0]


def _keep_signature(signature: str | None) -> None:
    from django.db import connection

    from metrics.models import Customer

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        text = "NULL" if signature is None else "'" + signature.replace("'", "''") + "'"
        cursor.execute(f"COMMENT ON TABLE {Customer._meta.db_table} IS {text}")


def _kept_org(*, teams: int, csms: int, quarter, today) -> Org:
    from goals_project.people.models import Team, User
    from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal

    return Org(
        teams=list(Team.objects.filter(name__startswith="Bench Team ").order_by("name")),
        users=list(User.objects.filter(email__endswith="@" + BENCH_DOMAIN).order_by("email")),
        quarter=quarter,
        today=today,
        counts={
            "customers": Customer.objects.count(),
            "arr": ArrRecord.objects.count(),
            "renewals": Renewal.objects.count(),
            "nps": NpsResponse.objects.count(),
            "qbrs": Qbr.objects.count(),
        },
    )


def build_org(
    *,
    customers: int = 10_000,
    csms: int = 200,
    teams: int = 20,
    seed: int = 20260101,
    today: date | None = None,
    reuse: bool = False,
) -> Org:
    """Build the org (replacing the previous one) and return its teams, users and quarter.

    Each customer has about 6 ARR records over two years (start, quarterly expansions and
    contractions, 8% churn of which a third is won back), 4 NPS responses and 8 QBRs (one a
    quarter, about 75% completed) over the same two years, and about 2 annual renewals.
    With `reuse`, an org built earlier with the same arguments is returned as it is.
    """
    from django.db import transaction

    from goals_project.people.models import Membership, Team, User
    from metrics.models import ArrRecord, Customer, NpsResponse, Qbr, Renewal

    rng = random.Random(seed)
    today = today or date(2026, 11, 26)
    quarter = quarter_before(today)
    history_start = today - timedelta(days=HISTORY_DAYS)
    signature = _signature(customers=customers, csms=csms, teams=teams, seed=seed, today=today)
    if reuse and _kept_signature() == signature:
        return _kept_org(teams=teams, csms=csms, quarter=quarter, today=today)
    with transaction.atomic():
        _keep_signature(None)
        _reset()
        team_rows = Team.objects.bulk_create(
            Team(name=f"Bench Team {number:02d}") for number in range(1, teams + 1)
        )
        user_rows = User.objects.bulk_create(
            User(email=f"csm{number:03d}@{BENCH_DOMAIN}", name=f"CSM {number:03d}", password="!")
            for number in range(1, csms + 1)
        )
        Membership.objects.bulk_create(
            Membership(
                user=user,
                team=team_rows[index % teams],
                role=Membership.Role.LEAD if index < teams else Membership.Role.MEMBER,
            )
            for index, user in enumerate(user_rows)
        )
        customer_rows = Customer.objects.bulk_create(
            (
                Customer(
                    external_id=f"BC-{number:05d}",
                    name=f"Bench Customer {number:05d}",
                    csm=user_rows[rng.randrange(csms)],
                    segment=rng.choice(["Enterprise", "Mid-Market", "SMB"]),
                )
                for number in range(1, customers + 1)
            ),
            batch_size=BATCH,
        )
        arr, renewals, responses, qbrs = [], [], [], []
        for customer in customer_rows:
            won = history_start + timedelta(days=rng.randrange(0, 480))
            amount = Decimal(rng.randrange(5_000, 250_000, 500))
            arr.append(ArrRecord(customer=customer, effective_date=won, arr=amount))
            day, churned = won, False
            for _ in range(8):
                day += timedelta(days=rng.randrange(45, 110))
                if day >= today:
                    break
                roll = rng.random()
                if churned:
                    if roll < 0.33:  # won back
                        amount, churned = Decimal(rng.randrange(5_000, 150_000, 500)), False
                    else:
                        continue
                elif roll < 0.08:
                    amount, churned = Decimal(0), True
                elif roll < 0.55:
                    amount += Decimal(rng.randrange(500, 30_000, 500))
                else:
                    amount = max(Decimal(1_000), amount - Decimal(rng.randrange(500, 15_000, 500)))
                arr.append(ArrRecord(customer=customer, effective_date=day, arr=amount))
            due = won + timedelta(days=365)
            while due < today + timedelta(days=180):
                outcome = (
                    Renewal.Outcome.PENDING
                    if due >= today
                    else rng.choices(
                        [Renewal.Outcome.RENEWED, Renewal.Outcome.CHURNED], [0.88, 0.12]
                    )[0]
                )
                renewals.append(Renewal(customer=customer, due_date=due, outcome=outcome))
                due += timedelta(days=365)
            for number in range(NPS_PER_CUSTOMER):
                moment = datetime.combine(
                    today - timedelta(days=rng.randrange(1, HISTORY_DAYS)), datetime.min.time(), UTC
                ) + timedelta(seconds=rng.randrange(86_400))
                responses.append(
                    NpsResponse(
                        customer=customer,
                        respondent=f"contact{number}@{customer.external_id.lower()}.example",
                        responded_at=moment,
                        score=rng.choices(range(11), [2, 1, 1, 2, 2, 3, 4, 8, 14, 22, 20])[0],
                    )
                )
            for back in range(HISTORY_DAYS // 90):
                scheduled = today - timedelta(days=90 * back + rng.randrange(5, 85))
                completed = (
                    datetime.combine(scheduled, datetime.min.time(), UTC)
                    + timedelta(days=rng.randrange(0, 5), hours=rng.randrange(8, 18))
                    if rng.random() < 0.75
                    else None
                )
                qbrs.append(
                    Qbr(customer=customer, scheduled_date=scheduled, completed_at=completed)
                )
        for model, rows in (
            (ArrRecord, arr),
            (Renewal, renewals),
            (NpsResponse, responses),
            (Qbr, qbrs),
        ):
            model.objects.bulk_create(rows, batch_size=BATCH)
        _keep_signature(signature)
    _analyze([ArrRecord, Renewal, NpsResponse, Qbr, Customer, Membership, User, Team])
    counts = {
        "customers": len(customer_rows),
        "arr": len(arr),
        "renewals": len(renewals),
        "nps": len(responses),
        "qbrs": len(qbrs),
    }
    return Org(
        teams=list(Team.objects.filter(pk__in=[t.pk for t in team_rows]).order_by("name")),
        users=list(User.objects.filter(pk__in=[u.pk for u in user_rows]).order_by("email")),
        quarter=quarter,
        today=today,
        counts=counts,
    )


if __name__ == "__main__":
    setup_django()
    started = time.perf_counter()
    org = build_org(customers=int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, reuse=True)
    print(
        f"Built {org.counts} for {len(org.users)} CSMs in {len(org.teams)} teams "
        f"in {time.perf_counter() - started:.1f} s"
    )
