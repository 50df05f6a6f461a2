"""Demo leaderboards and a few weeks of dashboard use (so /leaderboard/ and /health/ have
something to show). Running it again changes nothing."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from goals_project.people.models import Membership, Team

from .models import DashboardView, LeaderboardSetting

WEEKS = 8
# (team, ranks by, metric): SMB keeps its leaderboard off.
LEADERBOARDS = [
    ("Enterprise", LeaderboardSetting.RanksBy.PROGRESS, "nrr"),
    ("Mid-Market", LeaderboardSetting.RanksBy.CONTRIBUTION, ""),
]


@transaction.atomic
def seed_dashboards() -> dict[str, int]:
    """Turn the demo leaderboards on and log eight weeks of dashboard views, once."""
    settings = 0
    for team_name, ranks_by, metric_key in LEADERBOARDS:
        team = Team.objects.filter(name=team_name).first()
        if team is None:
            continue
        _, created = LeaderboardSetting.objects.get_or_create(
            team=team, defaults={"enabled": True, "ranks_by": ranks_by, "metric_key": metric_key}
        )
        settings += created
    views = 0
    if not DashboardView.objects.exists():
        rng = random.Random(7)
        now = timezone.now()
        memberships = Membership.objects.select_related("user").order_by("pk")
        rows = []
        for membership in memberships:
            # Leads look daily; members a few times a week, more as the quarter goes on.
            for day in range(WEEKS * 7, 0, -1):
                chance = 0.8 if membership.is_lead else 0.25 + 0.3 * (1 - day / (WEEKS * 7))
                if rng.random() < chance:
                    page = (
                        DashboardView.Page.TEAM
                        if membership.is_lead
                        else rng.choice([DashboardView.Page.INDIVIDUAL, DashboardView.Page.GOAL])
                    )
                    rows.append(
                        DashboardView(
                            user=membership.user,
                            page=page,
                            viewed_at=now - timedelta(days=day, hours=rng.randint(0, 8)),
                        )
                    )
        views = len(DashboardView.objects.bulk_create(rows))
    return {"leaderboards": settings, "views": views}
