"""Prepare the load test's database: the 10,000-customer bench org with its 500 goals (as
bench.bench_recalc builds them), recalculated once; a password for every bench user; a staff
token for the import; and the file of 10,000 ARR rows imported in the middle of the run.

Writes what the locust file and the runner need to PLAN (a JSON file). Run by bench.load.run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/goalpost_load")
os.environ.setdefault("EMAIL_URL", "dummymail://")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.pop("CELERY_BROKER_URL", None)  # recalculated here, in-process

PASSWORD = "load-test-password"
PLAN = Path(os.environ.get("LOAD_PLAN", "/tmp/goalpost-load-plan.json"))
IMPORT_FILE = Path(os.environ.get("LOAD_IMPORT_FILE", "/tmp/goalpost-load-import.json"))


def main() -> None:
    from bench.orgdata import BENCH_DOMAIN, build_org, setup_django

    setup_django()
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from bench.bench_recalc import build_goals, remove_bench_goals
    from goals import recalc
    from goals.models import Goal
    from goals_project.people.models import Membership, User
    from goals_project.people.tokens import api_token_create
    from metrics.models import Customer

    remove_bench_goals()
    org = build_org()
    org.now = timezone.now()
    period, goals, _ = build_goals(org)
    recalc.recalculate_goals([goal.pk for goal in goals])
    User.objects.filter(email__endswith="@" + BENCH_DOMAIN).update(password=make_password(PASSWORD))
    staff = User.objects.create(
        email=f"load-admin@{BENCH_DOMAIN}", name="Load admin", is_staff=True, password="!"
    )
    _, import_token = api_token_create(user=staff, name="load import", scopes=["read", "import"])
    memberships = Membership.objects.filter(user__in=org.users).select_related("user")
    own_goals: dict[int, list[int]] = {}
    for goal_id, owner_id in Goal.objects.filter(period=period, owner__isnull=False).values_list(
        "pk", "owner_id"
    ):
        own_goals.setdefault(owner_id, []).append(goal_id)
    team_goals: dict[int, list[int]] = {}
    for goal_id, team_id in Goal.objects.filter(period=period, owner__isnull=True).values_list(
        "pk", "team_id"
    ):
        team_goals.setdefault(team_id, []).append(goal_id)
    leads = [m for m in memberships if m.role == Membership.Role.LEAD]
    watch = Goal.objects.get(period=period, team=leads[0].team, owner=None, metric_key="nrr")
    plan = {
        "password": PASSWORD,
        "period": period.pk,
        "leads": [
            {"email": m.user.email, "team": m.team_id, "goals": team_goals[m.team_id]}
            for m in leads
        ],
        "members": [
            {"email": m.user.email, "team": m.team_id, "goals": own_goals[m.user_id]}
            for m in memberships
            if m.role == Membership.Role.MEMBER
        ],
        "import_token": import_token,
        "watch_goal": watch.pk,
        "watch_team": leads[0].team_id,
    }
    today = timezone.localdate().isoformat()
    rows = [
        {"customer_external_id": external_id, "effective_date": today, "arr": "123456.00"}
        for external_id in Customer.objects.order_by("pk").values_list("external_id", flat=True)
    ]
    IMPORT_FILE.write_text(json.dumps(rows))
    PLAN.write_text(json.dumps(plan))
    print(
        f"prepared: {org.counts['customers']:,} customers, {len(goals)} goals, "
        f"{len(plan['leads'])} leads, {len(plan['members'])} members, {len(rows):,} ARR rows "
        f"to import ({IMPORT_FILE.stat().st_size / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
