from datetime import date

from django.core.management.base import BaseCommand, CommandError

from recognition.services import badges_award


class Command(BaseCommand):
    help = "Run every enabled badge rule and award what is new (the daily beat job). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="judge as of this date (YYYY-MM-DD); default today")

    def handle(self, *args, today=None, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today: {today!r} is not a date (use YYYY-MM-DD).") from None
        awarded = badges_award(today=day)
        self.stdout.write(self.style.SUCCESS(f"{len(awarded)} new badge(s) awarded."))
