from django.core.management.base import BaseCommand

from goals.lifecycle import periods_roll_over


class Command(BaseCommand):
    help = (
        "Period rollover (the daily beat job, by hand): periods become active on their start "
        "date and are closed after their end date: a last recalculation, then each goal is "
        "frozen with its final value, status and grade."
    )

    def handle(self, *args, **options):
        moved = periods_roll_over()
        for status, periods in moved.items():
            names = ", ".join(period.name for period in periods) or "none"
            self.stdout.write(f"{status.capitalize()}: {names}")
