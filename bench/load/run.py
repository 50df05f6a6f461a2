"""`make load`: the production-like stack under 50 simulated users for 60 seconds, with one
import of 10,000 ARR rows through the API in the middle. Loopback only, bounded in time.

1. bench.load.prepare builds the bench org in its own database (LOAD_DATABASE_URL);
2. `make serve` starts gunicorn, a Celery worker and beat on it, on LOAD_BIND;
3. locust runs headless (50 users, 60 s); 25 s in, the import is sent and its goal watched
   until the dashboard shows the new value;
4. the stack is stopped (its process group) and the figures printed.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get(
    "LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/goalpost_load"
)
BIND = os.environ.get("LOAD_BIND", "127.0.0.1:8001")
HOST = f"http://{BIND}"
USERS, SPAWN_RATE, DURATION = 50, 10, 60
IMPORT_AFTER = 25.0
OUT = Path(os.environ.get("LOAD_OUT", "/tmp/goalpost-load"))
PLAN = OUT / "plan.json"
IMPORT_FILE = OUT / "import.json"
TIMINGS = OUT / "timings.csv"
LOGINS = ("login page", "log in")


def call(path: str, *, token: str, body: bytes | None = None, timeout: float = 120) -> dict:
    request = urllib.request.Request(
        HOST + path,
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def import_and_watch(plan: dict, result: dict) -> None:
    """Send the import, then poll the watched goal until its value changes (at most 120 s)."""
    token = plan["import_token"]
    before = call(f"/api/goals/{plan['watch_goal']}/", token=token)["current_value"]
    body = IMPORT_FILE.read_bytes()
    sent = time.perf_counter()
    summary = call("/api/data/arr/", token=token, body=body)
    answered = time.perf_counter()
    result.update(
        import_summary=summary,
        import_seconds=answered - sent,
        before=before,
        import_sent_at=time.time() - (answered - sent),
    )
    while time.perf_counter() - answered < 120:
        page = call(
            f"/api/goals/dashboard/team?team={plan['watch_team']}&period={plan['period']}",
            token=token,
        )
        value = call(f"/api/goals/{plan['watch_goal']}/", token=token)["current_value"]
        if value != before:
            shown = time.perf_counter()
            result.update(
                after=value,
                shown_after_answer=shown - answered,
                shown_after_send=shown - sent,
                shown_at=time.time(),
                dashboard_rows=len(page.get("goals", page.get("rows", []))),
            )
            return
        time.sleep(0.2)
    result["shown_after_answer"] = None


def wait_healthy(timeout: float = float(os.environ.get("LOAD_START_SECONDS", 600))) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(HOST + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"the stack did not become healthy at {HOST} within {timeout:.0f} s")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "LOAD_PLAN": str(PLAN)}
    env["LOAD_IMPORT_FILE"] = str(IMPORT_FILE)
    env["LOAD_TIMINGS"] = str(TIMINGS)
    subprocess.run([sys.executable, "-m", "bench.load.prepare"], cwd=ROOT, env=env, check=True)
    plan = json.loads(PLAN.read_text())
    serve_env = {
        **os.environ,
        "BIND": BIND,
        "SECURE_HTTPS": "0",
        "EMAIL_URL": "dummymail://",
        "REQUEST_LOG_LEVEL": "INFO",
        # The 10,000-row import is one JSON body of about 0.9 MB; room for it and no more.
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "3"),
    }
    log = (OUT / "serve.log").open("w")
    serve = subprocess.Popen(
        ["make", "serve", f"SERVE_DATABASE_URL={DATABASE_URL}"],
        cwd=ROOT,
        env=serve_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    result: dict = {}
    try:
        wait_healthy()
        result["started"] = time.time()
        watcher = threading.Timer(IMPORT_AFTER, import_and_watch, args=(plan, result))
        watcher.start()
        locust = subprocess.run(
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                str(ROOT / "bench/load/locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(SPAWN_RATE),
                "--run-time",
                f"{DURATION}s",
                "--stop-timeout",
                "5",
                "--host",
                HOST,
                "--csv",
                str(OUT / "locust"),
                "--only-summary",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=DURATION + 120,
        )
        watcher.join(timeout=150)
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        log.close()
    return report(locust, result)


def report(locust: subprocess.CompletedProcess, result: dict) -> int:
    rows = list(csv.DictReader((OUT / "locust_stats.csv").open()))
    print(
        f"{USERS} users, {DURATION} s, {HOST} "
        f"(gunicorn {os.environ.get('WEB_CONCURRENCY', 3)} workers)"
    )
    print(
        f"{'page':<18}{'requests':>9}{'fail':>6}{'rps':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
    )
    for row in rows:
        print(
            f"{row['Name']:<18}{row['Request Count']:>9}{row['Failure Count']:>6}"
            f"{float(row['Requests/s']):>7.1f}{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}"
        )
    split(result)
    total = next(row for row in rows if row["Name"] == "Aggregated")
    failures = int(total["Failure Count"])
    if result.get("import_summary"):
        print(
            f"import of 10,000 ARR rows: answered in {result['import_seconds']:.1f} s "
            f"({result['import_summary']}); the watched team goal went from {result['before']} "
            f"to {result.get('after')} on the dashboard "
            + (
                f"{result['shown_after_answer']:.1f} s after the answer "
                f"({result['shown_after_send']:.1f} s after sending)"
                if result.get("shown_after_answer") is not None
                else "NOT within 120 s"
            )
        )
    else:
        print("import: did not complete", result)
        failures += 1
    errors = OUT / "locust_failures.csv"
    if failures and errors.exists():
        print(errors.read_text())
    if locust.returncode not in (0, 1):
        print(locust.stderr[-3000:])
    print("PASS" if failures == 0 and result.get("shown_after_answer") is not None else "FAIL")
    return 0 if failures == 0 else 1


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def _line(label: str, times: list[float]) -> str:
    return (
        f"  {label:<44}{len(times):>6} requests, p50 {_percentile(times, 0.5):>6,.0f} ms, "
        f"p95 {_percentile(times, 0.95):>6,.0f} ms"
    )


def split(result: dict) -> None:
    """Logins apart from pages: a login hashes the password (PBKDF2, hundreds of ms of CPU), and
    50 of them arrive in the first seconds; pages are shown while logins run and after."""
    if not TIMINGS.exists():
        return
    rows = []
    for line in TIMINGS.read_text().splitlines():
        started, name, elapsed, _ = line.split(",")
        rows.append((float(started), name, float(elapsed)))
    logins = [row for row in rows if row[1] in LOGINS]
    pages = [row for row in rows if row[1] not in LOGINS]
    if not logins or not pages:
        return
    first = min(row[0] for row in rows)
    logged_in = max(started + elapsed / 1000 for started, _, elapsed in logins)
    sent = result.get("import_sent_at")
    shown = result.get("shown_at")
    print(f"logins and pages apart (logins over {logged_in - first:.0f} s from the start):")
    print(_line("logins (login page and log in)", [row[2] for row in logins]))
    print(_line("pages, all", [row[2] for row in pages]))
    print(_line("pages while logins ran", [row[2] for row in pages if row[0] < logged_in]))
    print(_line("pages after the last login", [row[2] for row in pages if row[0] >= logged_in]))
    if sent and shown:
        print(
            _line(
                "pages from the import until its goal showed",
                [row[2] for row in pages if sent <= row[0] <= shown],
            )
        )
    polls = [row for row in pages if row[1] == "dashboard poll"]
    if polls:
        print(_line("dashboard poll (304 while unchanged)", [row[2] for row in polls]))


if __name__ == "__main__":
    sys.exit(main())
