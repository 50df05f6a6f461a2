"""`make drills`: every fault drill in turn on its own database (DRILLS_DATABASE_URL) and its own
Redis (DRILLS_REDIS_PORT, never the machine's 6379). Each prints PASS or FAIL with its numbers."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.drills.common import ROOT

DRILLS = ["worker_kill", "two_workers", "redis_down", "data_faults", "csv_fuzz"]


def main() -> int:
    failed = []
    names = sys.argv[1:] or DRILLS
    for name in names:
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        done = subprocess.run([sys.executable, "-m", f"bench.drills.{name}"], cwd=ROOT)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        if done.returncode:
            failed.append(name)
    print(f"drills: {len(names) - len(failed)} passed, {len(failed)} failed {failed or ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
