"""What the weekly email commands share: --week, --dry-run and the report."""

from collections.abc import Callable
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from checkins.digest import RunReport
from checkins.weeks import current_week_start, parse_iso_week
from goals_project.progress_bars import command_progress


class WeeklyEmailCommand(BaseCommand):
    send: Callable[..., RunReport]
    noun = "email"

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: this week)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Render and list, send and record nothing."
        )

    def handle(self, *args, week=None, dry_run=False, verbosity=1, **options):
        try:
            week_start: date = parse_iso_week(week) if week else current_week_start()
        except ValueError as error:
            raise CommandError(f"--week: {error}") from None
        progress = command_progress(self, verbosity=verbosity)
        report = type(self).send(week_start=week_start, dry_run=dry_run, progress=progress)
        progress.finish()
        for email in report.sent:
            self.stdout.write(f"  {'would send' if dry_run else 'sent'}: {email}")
        for email in report.failed:
            self.stderr.write(f"  failed: {email}")
        self.stdout.write(report.summary())
        if report.failed:
            raise CommandError(f"{len(report.failed)} {self.noun}(s) failed; run again to retry.")
