from django.core.management.base import BaseCommand, CommandError

from goals import recalc
from goals.models import Goal
from goals_project.progress_bars import command_progress


class Command(BaseCommand):
    help = (
        "Recalculate goals now, in this process: the goals of the current periods by default, "
        "--goal ID (repeatable) for some, --all for every live goal. --backfill also fills the "
        "daily history of calculated goals from their period start. Shows its progress (goals "
        "done, rate, time left) on stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("--goal", type=int, action="append", default=[], metavar="ID")
        parser.add_argument("--all", action="store_true", help="every live goal of every period")
        parser.add_argument("--backfill", action="store_true", help="fill missing daily history")

    def handle(self, *args, goal, all, backfill, verbosity=1, **options):
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
        progress = command_progress(self, verbosity=verbosity)
        result = recalc.recalculate_in_batches(goal_ids, backfill=backfill, progress=progress)
        progress.finish()
        self.stdout.write(
            f"Recalculated {len(result.goal_ids)} goals: {len(set(result.changed_ids))} changed, "
            f"{result.history_rows} history rows added."
        )
