from django.core.management.base import BaseCommand, CommandError

from goals import recalc
from goals.models import Goal


class Command(BaseCommand):
    help = (
        "Recalculate goals now, in this process: the goals of the current periods by default, "
        "--goal ID (repeatable) for some, --all for every live goal. --backfill also fills the "
        "daily history of calculated goals from their period start."
    )

    def add_arguments(self, parser):
        parser.add_argument("--goal", type=int, action="append", default=[], metavar="ID")
        parser.add_argument("--all", action="store_true", help="every live goal of every period")
        parser.add_argument("--backfill", action="store_true", help="fill missing daily history")

    def handle(self, *args, goal, all, backfill, **options):
        if goal and all:
            raise CommandError("Give --goal IDs or --all, not both.")
        if goal:
            missing = set(goal) - set(Goal.objects.filter(pk__in=goal).values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No goal with id {', '.join(map(str, sorted(missing)))}.")
            goal_ids = goal
        elif all:
            goal_ids = list(
                Goal.objects.filter(archived_at__isnull=True).values_list("pk", flat=True)
            )
        else:
            goal_ids = recalc.active_goal_ids()
        if backfill:
            result = recalc.backfill_history(goal_ids)
        else:
            result = recalc.recalculate_goals(goal_ids)
        self.stdout.write(
            f"Recalculated {len(result.goal_ids)} goals: {len(set(result.changed_ids))} changed, "
            f"{result.history_rows} history rows added."
        )
