"""Drill: the bad-CSV corpus of tests/security/test_csv_fuzz.py through `manage.py import_data`,
each file in a process of its own: the error, the wall time and the process's peak RSS.
PASS when every file is refused (exit 1, "Nothing was imported") within 30 s and 1 GB."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.drills import common

MEASURE = """
import io, json, resource, sys, time
from bench.orgdata import setup_django
setup_django(migrate=False)
from django.core.management import CommandError, call_command
err = io.StringIO()
started = time.perf_counter()
try:
    call_command("import_data", "arr", sys.argv[1], stdout=io.StringIO(), stderr=err)
    outcome = "imported"
except CommandError as error:
    outcome = str(error)
print(json.dumps({"seconds": time.perf_counter() - started, "outcome": outcome,
                  "first_error": (err.getvalue().splitlines() or [""])[0][-90:],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> bool:
    common.setup(broker=False)
    sys.path.insert(0, str(common.ROOT))
    from tests.security.test_csv_fuzz import CORPUS

    env = {**os.environ}
    env.pop("CELERY_BROKER_URL", None)
    empty = common.OUT / "empty.csv"
    empty.write_bytes(b"")
    baseline = json.loads(
        subprocess.run(
            [sys.executable, "-c", MEASURE, str(empty)],
            cwd=common.ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()[-1]
    )["peak_mb"]
    print(f"  (an empty file, refused at once, peaks at {baseline:.0f} MB)")
    ok = True
    for case, content in CORPUS.items():
        path = common.OUT / "fuzz.csv"
        path.write_bytes(content)
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, str(path)],
            cwd=common.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        result = json.loads(done.stdout.splitlines()[-1])
        refused = result["outcome"].startswith("Nothing was imported")
        ok &= common.verdict(
            f"bad CSV: {case} ({len(content) / 1e6:.1f} MB)",
            refused and result["seconds"] < 30 and result["peak_mb"] < 1024,
            f"refused in {result['seconds'] * 1000:.0f} ms, peak RSS {result['peak_mb']:.0f} MB: "
            f"{result['first_error']}",
        )
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
