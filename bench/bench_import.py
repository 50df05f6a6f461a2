"""Time importing 100,000 ARR rows from CSV into PostgreSQL (goal: under 10 s).

On the 10,000-customer bench org: a file of 100,000 new ARR rows (10 per customer) is imported,
then the same file again (nothing changes), then a file changing every amount. Then the growth
table's measure (bench/bench_growth.py) on this org: the import of 100,000 new rows against COPY
plus one INSERT ... ON CONFLICT of the same rows, interleaved, medians of BENCH_REPEAT rounds
(the target: at most 2x), with the load average.
Run with `make bench` or `python -m bench.bench_import`.
"""

from __future__ import annotations

import time
from datetime import date

from bench.orgdata import build_org, setup_django

ROWS_PER_CUSTOMER = 10


def arr_csv(external_ids: list[str], amount_offset: int) -> bytes:
    lines = ["customer_external_id,effective_date,arr"]
    for index, external_id in enumerate(external_ids):
        for month in range(1, ROWS_PER_CUSTOMER + 1):
            amount = 10_000 + (index * 37 + month * 101) % 90_000 + amount_offset
            lines.append(f"{external_id},{date(2027, month, 1).isoformat()},{amount}.50")
    return ("\r\n".join(lines) + "\r\n").encode()


def main() -> None:
    setup_django()
    from metrics.importing import import_csv
    from metrics.models import ArrRecord, Customer

    build_org()
    external_ids = list(
        Customer.objects.order_by("external_id").values_list("external_id", flat=True)
    )
    before = ArrRecord.objects.count()
    first, changed = arr_csv(external_ids, 0), arr_csv(external_ids, 250)
    rows = len(external_ids) * ROWS_PER_CUSTOMER
    print(
        f"{rows:,} ARR rows per file ({len(first) / 1e6:.1f} MB) for {len(external_ids):,} "
        f"customers; {before:,} ARR rows already in the database"
    )
    for label, data in (
        ("new rows", first),
        ("same file again", first),
        ("every amount changed", changed),
    ):
        started = time.perf_counter()
        result = import_csv("arr", data, source="arr.csv")
        elapsed = time.perf_counter() - started
        print(f"  {label:<22} {elapsed:6.2f} s  ({result.summary()})  goal < 10 s")
    assert ArrRecord.objects.count() == before + rows
    # Leave the org as build_org made it, for the benchmarks that run next.
    ArrRecord.objects.filter(effective_date__gte=date(2027, 1, 1)).delete()

    from bench.bench_growth import load, measure_import

    print(f"  against COPY + upsert ({load()}):", flush=True)
    figures = measure_import(len(external_ids))
    print(
        "  import {import:.0f} ms = {vs_upsert:.2f}x COPY + upsert ({upsert:.0f} ms), "
        "{vs_copy:.1f}x COPY ({copy:.0f} ms)  goal <= 2x".format(**figures)
    )
    print(f"  {load()}")


if __name__ == "__main__":
    main()
