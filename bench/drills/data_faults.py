"""Drills on the bench org's data (10,000 customers), each against real PostgreSQL:

- the same 10,000-row ARR import sent twice at once (two processes): the data equals one import;
- an import whose database connection is terminated (pg_terminate_backend from another
  session) while it writes: nothing of it is written, and the retry succeeds;
- the weekly digest job run twice at once (two processes): one email per user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench.drills import common

IMPORT = """
import json, sys, time
from bench.orgdata import setup_django
setup_django(migrate=False)
from metrics.importing import import_csv
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
try:
    result = import_csv("arr", data, source=sys.argv[1])
    print(json.dumps({"ok": True, "created": result.created, "updated": result.updated,
                      "unchanged": result.unchanged, "seconds": time.perf_counter() - started}))
except Exception as error:
    print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"[:200],
                      "seconds": time.perf_counter() - started}))
"""


def python(script: str, *args: str) -> subprocess.Popen:
    env = {**os.environ}
    env.pop("CELERY_BROKER_URL", None)  # recalculation runs in-process: no broker in this drill
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=common.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def outcome(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=600)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {"ok": False, "error": err[-300:]}


def arr_file(name: str, day: str, arr: str) -> str:
    from metrics.models import Customer

    path = common.OUT / name
    ids = Customer.objects.order_by("pk").values_list("external_id", flat=True)
    path.write_text(
        "customer_external_id,effective_date,arr\n" + "".join(f"{e},{day},{arr}\n" for e in ids)
    )
    return str(path)


def arr_state():
    from metrics.models import ArrRecord

    return ArrRecord.objects.count(), sorted(
        ArrRecord.objects.order_by().values_list("customer_id", "effective_date", "arr")
    )


def twice_at_once(day: str) -> bool:
    from metrics.models import ArrRecord

    path = arr_file("twice.csv", day, "4321.00")
    ArrRecord.objects.filter(effective_date=day).delete()  # a day of the drill's own
    before = ArrRecord.objects.count()
    new_rows = 10_000
    first, second = python(IMPORT, path), python(IMPORT, path)
    results = [outcome(first), outcome(second)]
    after = ArrRecord.objects.count()
    on_day = ArrRecord.objects.filter(effective_date=day)
    ok = (
        all(r["ok"] for r in results)
        and after == before + new_rows
        and on_day.count() == 10_000
        and set(on_day.values_list("arr", flat=True)) == {4321}
    )
    return common.verdict(
        "same import twice at once",
        ok,
        f"two processes, {[round(r['seconds'], 1) for r in results]} s, "
        f"{[r.get('created', r.get('error')) for r in results]} created; ARR rows "
        f"{before:,} -> {after:,} (+{after - before:,}; one import adds {new_rows:,}), all "
        f"10,000 rows of the day hold the file's value",
    )


def connection_cut(day: str) -> bool:
    import psycopg
    from django.db import connection

    from metrics.models import ArrRecord

    path = arr_file("cut.csv", day, "5555.00")
    ArrRecord.objects.filter(effective_date=day).delete()  # a day of the drill's own
    before = arr_state()
    settings = connection.settings_dict
    connect = dict(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        dbname=settings["NAME"],
    )
    admin = psycopg.connect(**connect, autocommit=True)
    blocker = psycopg.connect(**connect)
    blocker.execute(f"LOCK TABLE {ArrRecord._meta.db_table} IN EXCLUSIVE MODE")
    started = time.perf_counter()
    importer = python(IMPORT, path)
    pid = None
    while pid is None and time.perf_counter() - started < 120:
        pid = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
        time.sleep(0.05)
    if pid:
        admin.execute("SELECT pg_terminate_backend(%s)", pid)
    blocker.rollback()
    blocker.close()
    admin.close()
    cut = outcome(importer)
    untouched = arr_state() == before
    retry = outcome(python(IMPORT, path))
    written = ArrRecord.objects.filter(effective_date=day, arr=5555).count()
    ok = pid is not None and not cut["ok"] and untouched and retry["ok"] and written == 10_000
    return common.verdict(
        "PostgreSQL connection dropped during an import",
        ok,
        f"backend {pid[0] if pid else None} terminated mid-import -> {cut.get('error')!r}; "
        f"ARR data unchanged: {untouched}; retry {retry.get('created')} created in "
        f"{retry['seconds']:.1f} s, {written:,} rows of that day",
    )


DIGEST = """
import sys
from bench.orgdata import setup_django
setup_django(migrate=False)
from checkins.digest import send_weekly_updates
from datetime import date
report = send_weekly_updates(week_start=date.fromisoformat(sys.argv[1]))
import json
print(json.dumps({"ok": True, "sent": len(report.sent), "already": len(report.already_sent),
                  "in_progress": len(report.in_progress), "seconds": 0}))
"""


def digest_twice(monday: str) -> bool:
    from checkins.digest import digest_recipients
    from checkins.models import DigestDelivery

    DigestDelivery.objects.filter(week_start=monday).delete()
    from datetime import date

    recipients = len(digest_recipients(date.fromisoformat(monday)))
    started = time.perf_counter()
    first, second = python(DIGEST, monday), python(DIGEST, monday)
    results = [outcome(first), outcome(second)]
    seconds = time.perf_counter() - started
    sent_rows = DigestDelivery.objects.filter(week_start=monday, kind="digest", status="sent")
    per_user = max((row["n"] for row in _count_per_user(sent_rows)), default=0)
    total_sent = sum(r.get("sent", 0) for r in results)
    ok = all(r["ok"] for r in results) and total_sent == recipients and per_user == 1
    return common.verdict(
        "weekly digest twice at once",
        ok,
        f"{recipients} recipients; the two runs sent {[r.get('sent') for r in results]} "
        f"(skipped {[r.get('already', 0) + r.get('in_progress', 0) for r in results]}) "
        f"in {seconds:.1f} s; emails per user at most {per_user}",
    )


def _count_per_user(rows):
    from django.db.models import Count

    return rows.values("user").annotate(n=Count("pk"))


def main() -> bool:
    common.setup(broker=False)
    from datetime import timedelta

    from django.utils import timezone

    from goals.models import Goal

    if not Goal.objects.filter(team__name__startswith="Bench ").exists():
        common.build_bench_org()
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    results = [
        twice_at_once((today - timedelta(days=1)).isoformat()),
        connection_cut((today - timedelta(days=2)).isoformat()),
        digest_twice(monday.isoformat()),
    ]
    return all(results)


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
