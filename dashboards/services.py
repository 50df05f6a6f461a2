"""Every write of the dashboards app: leaderboard settings and the dashboard view log."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from goals_project.people.models import Team, User
from metrics.registry import get_metric

from .health import WEEKS
from .models import DashboardView, LeaderboardSetting

# The program-health page reads the views of the WEEKS full weeks before the current one.
HEALTH_DAYS = 7 * (WEEKS + 1)


def dashboard_view_record(*, user: User, page: str) -> None:
    """Log one view of a dashboard page: a single insert, no read, so pages stay fast."""
    DashboardView.objects.create(user=user, page=page, viewed_at=timezone.now())


def dashboard_views_prune(*, now: datetime | None = None) -> int:
    """Delete the logged views older than DASHBOARD_VIEW_RETENTION_DAYS (never fewer days than
    the program-health page reads); returns how many went."""
    keep_days = max(settings.DASHBOARD_VIEW_RETENTION_DAYS, HEALTH_DAYS)
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    deleted, _ = DashboardView.objects.filter(viewed_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def leaderboard_setting_update(
    *, team: Team, by: User, enabled: bool, ranks_by: str, metric_key: str = ""
) -> LeaderboardSetting:
    """Turn a team's leaderboard on or off and choose what it ranks (the caller checks that
    `by` leads the team or is an admin)."""
    if ranks_by not in LeaderboardSetting.RanksBy.values:
        raise ValidationError(
            {"ranks_by": f"Unknown ranking {ranks_by!r}: use progress or contribution."}
        )
    metric_key = (metric_key or "").strip()
    if metric_key:
        try:
            metric_key = get_metric(metric_key).key
        except KeyError as error:
            raise ValidationError({"metric_key": str(error.args[0])}) from None
    setting, _ = LeaderboardSetting.objects.update_or_create(
        team=team,
        defaults={
            "enabled": enabled,
            "ranks_by": ranks_by,
            "metric_key": metric_key,
            "updated_by": by,
        },
    )
    return setting
